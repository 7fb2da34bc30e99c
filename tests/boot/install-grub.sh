#!/bin/bash
# GRUB from the image's own files (DESIGN.md section 5b): one install of the test image
# (--bootloader grub, from an OCI layout whose tag the system follows), then boots of that one
# disk under OVMF, under OVMF with Secure Boot and Microsoft's keys (shim, the signed GRUB, the
# signed kernel) and under SeaBIOS (GRUB i386-pc in the BIOS boot partition); then the tag moves
# to v2 and `berth upgrade --disk` deploys it, ostree regenerating the menu through berth's
# chroot runner, and v2 boots with the v1 rollback entry in GRUB's menu. Kernel arguments reach
# the kernel through the BLS entries (15_ostree) and follow `berth kargs --disk`. Last, an image
# without shim gets a GRUB core image made with its own grub-mkimage, booted under OVMF.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/lib/qemu-boot.sh
. "$BERTH_TOP/tests/lib/qemu-boot.sh"
need_root
need_cmd qemu-system-x86_64 skopeo umoci mdir mtype mcopy jq sfdisk
[ -x "$BERTH" ] || fail "$BERTH not built"
for f in OVMF_CODE_4M.secboot.fd OVMF_VARS_4M.ms.fd; do
  [ -f "/usr/share/OVMF/$f" ] || skip "needs /usr/share/OVMF/$f (apt-get install ovmf)"
done
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")}
tmp=
mktemp_dir tmp
info () { qemu_boot_info "$tmp/$1" "$2"; }
timeout=${BERTH_BOOT_TIMEOUT:-300}

# the system follows oci:$tmp/os:stable, v1 now
skopeo copy -q "oci:$layout:v1" "oci:$tmp/os:stable"
image="oci:$tmp/os:stable"

log "the plan names GRUB and why"
"$BERTH" install --dry-run "$image" "$tmp/disk.img" --via-loopback --size 5G >"$tmp/plan.txt" \
  2>"$tmp/plan.err" || { cat "$tmp/plan.err" >&2; fail "dry run failed"; }
assert_contains "$(cat "$tmp/plan.txt")" \
  "Bootloader: grub: UEFI with Secure Boot (shim, signed loader) and BIOS"
assert_contains "$(cat "$tmp/plan.txt")" "shimx64.efi.signed"
assert_contains "$(cat "$tmp/plan.txt")" "sysroot.bootloader=grub2"
"$BERTH" install --dry-run --json "$image" "$tmp/disk.img" --via-loopback --size 5G \
  --bootloader systemd-boot >"$tmp/plan.json" 2>/dev/null || fail "dry run (systemd-boot) failed"
assert_eq "$(jq -r '.bootloaderChosen | "\(.name) \(.uefi) \(.bios) \(.secureBoot)"' "$tmp/plan.json")" \
  "systemd-boot true false false" "systemd-boot asked: UEFI only, Secure Boot off"
[ ! -e "$tmp/disk.img" ] || fail "the dry run wrote $tmp/disk.img"

log "berth install --bootloader grub (G_MESSAGES_DEBUG=all must not reach grub.cfg)"
start=$(date +%s)
G_MESSAGES_DEBUG=all "$BERTH" install "$image" "$tmp/disk.img" --via-loopback --size 5G \
  --bootloader grub --karg marker.poweroff --karg panic=5 --karg rd.emergency=poweroff \
  --karg berth.test=grub --console ttyS0,115200 >"$tmp/install.out" 2>"$tmp/install.log" \
  || { tail -n 40 "$tmp/install.log" >&2; fail "berth install failed"; }
log "installed in $(($(date +%s) - start)) s"
losetup -j "$tmp/disk.img" | grep -q . && fail "berth install left a loop device attached"

# The ESP: shim as the fallback loader, the signed GRUB and MokManager beside it, no fallback
# loader of shim's, Debian's stub grub.cfg finding /boot by UUID.
sfdisk -d "$tmp/disk.img" >"$tmp/table"
start_of () { awk -F'[=,]' "/name=\"$1\"/ {gsub(/ /, \"\", \$2); print \$2}" "$tmp/table"; }
esp="$tmp/disk.img@@$(($(start_of EFI-SYSTEM) * 512))"
for f in BOOTX64.EFI grubx64.efi mmx64.efi; do
  mdir -i "$esp" "::/EFI/BOOT/$f" >/dev/null 2>&1 || fail "no \\EFI\\BOOT\\$f on the ESP"
done
mdir -i "$esp" ::/EFI/BOOT/fbx64.efi >/dev/null 2>&1 && fail "shim's fallback loader on the ESP"
mdir -i "$esp" ::/EFI/systemd >/dev/null 2>&1 && fail "systemd-boot on the ESP of a GRUB install"
stub=$(mtype -i "$esp" ::/EFI/debian/grub.cfg) || fail "no \\EFI\\debian\\grub.cfg"

dev=
disk_attach dev "$tmp/disk.img"
disk_scan "$dev"
boot_uuid=$(blkid -s UUID -o value "$(disk_part "$dev" 3)")
assert_eq "$stub" "search.fs_uuid $boot_uuid root
set prefix=(\$root)'/grub'
configfile \$prefix/grub.cfg" "the ESP's stub grub.cfg"
# GRUB's BIOS core image in the BIOS boot partition, the boot code in the MBR
[ "$(head -c 512 "$(disk_part "$dev" 1)" | tr -d '\0' | wc -c)" -gt 0 ] \
  || fail "the BIOS boot partition is empty"
mnt=$tmp/mnt
disk_mount "$(disk_part "$dev" 4)" "$mnt"
disk_mount "$(disk_part "$dev" 3)" "$mnt/boot"
assert_eq "$(readlink "$mnt/boot/grub/grub.cfg")" "../loader/grub.cfg" "the menu follows ostree's"
[ -f "$mnt/boot/grub/i386-pc/core.img" ] || fail "grub-install wrote no i386-pc core.img"
grep -qx 'bootloader=grub2' "$mnt/ostree/repo/config" \
  || fail "sysroot.bootloader is not grub2: $(cat "$mnt/ostree/repo/config")"
menu=$(cat "$mnt/boot/grub/grub.cfg")
assert_eq "$(grep -c '^menuentry .*ostree' <<<"$menu")" 1 "menu entries after the install"
assert_contains "$menu" "berth.test=grub"
assert_contains "$menu" "console=ttyS0,115200"
grep -q 'DEBUG' <<<"$menu" && fail "GLib debug lines in grub.cfg: $(grep DEBUG <<<"$menu" | head -3)"
disk_release "$dev"

log "berth kargs --disk regenerates the menu"
"$BERTH" kargs --disk "$tmp/disk.img" --append berth.kargs=grub >"$tmp/kargs.out" \
  || fail "berth kargs --disk failed"
disk_attach dev "$tmp/disk.img"
disk_scan "$dev"
disk_mount "$(disk_part "$dev" 3)" "$mnt"
assert_contains "$(cat "$mnt/grub/grub.cfg")" "berth.kargs=grub"
disk_release "$dev"

log "boot 1: OVMF -> shim -> GRUB -> the deployment"
rc=
qemu_boot rc --disk "$tmp/disk.img" --out "$tmp/uefi" --timeout "$timeout"
[ "$rc" = 0 ] || fail "OVMF boot: $(cat "$tmp/uefi/result" 2>/dev/null) (exit $rc)"
log "OVMF boot: $(cat "$tmp/uefi/elapsed") s"
cmdline=$(cat "$tmp/uefi/cmdline")
assert_contains "$cmdline" "berth.test=grub"
assert_contains "$cmdline" "berth.kargs=grub"
assert_contains "$cmdline" "console=ttyS0,115200"
assert_contains "$cmdline" "ostree=/ostree/boot."
assert_eq "$(info uefi firmware)" uefi "firmware"
assert_eq "$(info uefi berth-test-version)" 1 "image version"
assert_eq "$(info uefi boot-fstype)" ext4 "/boot"
assert_eq "$(info uefi failed-units)" none "failed units"
assert_eq "$(info uefi boots)" 1 "boot counter"

log "boot 2: OVMF with Secure Boot and Microsoft's keys"
qemu_boot rc --disk "$tmp/disk.img" --firmware ovmf-secboot --out "$tmp/secboot" --timeout "$timeout"
[ "$rc" = 0 ] || fail "Secure Boot boot: $(cat "$tmp/secboot/result" 2>/dev/null) (exit $rc)"
log "Secure Boot boot: $(cat "$tmp/secboot/elapsed") s"
assert_eq "$(info secboot secure-boot)" enabled "Secure Boot as the booted system sees it"
assert_eq "$(info secboot berth-test-version)" 1 "image version"
assert_eq "$(info secboot failed-units)" none "failed units"
assert_eq "$(info secboot boots)" 2 "boot counter"

log "boot 3: SeaBIOS -> GRUB i386-pc"
qemu_boot rc --disk "$tmp/disk.img" --firmware seabios --out "$tmp/bios" --timeout "$timeout"
[ "$rc" = 0 ] || fail "SeaBIOS boot: $(cat "$tmp/bios/result" 2>/dev/null) (exit $rc)"
log "SeaBIOS boot: $(cat "$tmp/bios/elapsed") s"
assert_eq "$(info bios firmware)" bios "firmware"
assert_contains "$(cat "$tmp/bios/cmdline")" "berth.test=grub"
assert_eq "$(info bios failed-units)" none "failed units"
assert_eq "$(info bios boots)" 3 "boot counter"

log "upgrade: the tag moves to v2, berth upgrade --disk"
skopeo copy -q "oci:$layout:v2" "oci:$tmp/os:stable"
"$BERTH" upgrade --disk "$tmp/disk.img" >"$tmp/upgrade.out" 2>"$tmp/upgrade.err" \
  || { cat "$tmp/upgrade.err" >&2; fail "berth upgrade failed"; }
disk_attach dev "$tmp/disk.img"
disk_scan "$dev"
disk_mount "$(disk_part "$dev" 3)" "$mnt"
menu=$(cat "$mnt/grub/grub.cfg")
assert_eq "$(grep -c '^menuentry .*ostree' <<<"$menu")" 2 "menu entries: v2 and the v1 rollback"
disk_release "$dev"

log "boot 4: v2 under Secure Boot, the regenerated menu"
qemu_boot rc --disk "$tmp/disk.img" --firmware ovmf-secboot --out "$tmp/v2" --timeout "$timeout"
[ "$rc" = 0 ] || fail "boot of v2: $(cat "$tmp/v2/result" 2>/dev/null) (exit $rc)"
log "v2 boot: $(cat "$tmp/v2/elapsed") s"
assert_eq "$(info v2 berth-test-version)" 2 "version after the upgrade"
assert_eq "$(info v2 ostree-deployments)" 2 "deployments (v2 and the rollback)"
assert_eq "$(info v2 secure-boot)" enabled "Secure Boot"
assert_contains "$(cat "$tmp/v2/cmdline")" "berth.kargs=grub"
assert_eq "$(info v2 failed-units)" none "failed units after the upgrade"
assert_eq "$(info v2 boots)" 4 "boot counter"
# GRUB drew its menu on the serial console too: both entries
assert_eq "$(grep -o '(ostree:[01])' "$tmp/v2/serial.log" | sort -u | tr '\n' ' ')" \
  "(ostree:0) (ostree:1) " "GRUB's menu on the console"

log "without shim: a GRUB core image from the image's modules (Secure Boot off), UEFI only"
skopeo copy -q "oci:$layout:v1" "oci:$tmp/noshim:v1"
mkdir -p "$tmp/wh/usr/lib/shim" "$tmp/wh/usr/lib/grub/x86_64-efi-signed"
touch "$tmp/wh/usr/lib/shim/.wh.shimx64.efi.signed" \
  "$tmp/wh/usr/lib/grub/x86_64-efi-signed/.wh.grubx64.efi.signed"
tar -C "$tmp/wh" --numeric-owner --owner=0 --group=0 -cf "$tmp/wh.tar" usr
umoci raw add-layer --image "$tmp/noshim:v1" "$tmp/wh.tar" >/dev/null
"$BERTH" install "oci:$tmp/noshim:v1" "$tmp/core.img" --via-loopback --size 5G --firmware uefi \
  --karg marker.poweroff --karg panic=5 --karg rd.emergency=poweroff --console ttyS0,115200 \
  >"$tmp/core.out" 2>"$tmp/core.log" || { tail -n 40 "$tmp/core.log" >&2; fail "install without shim failed"; }
assert_contains "$(cat "$tmp/core.log")" "Secure Boot must be off"
sfdisk -d "$tmp/core.img" >"$tmp/table"
esp="$tmp/core.img@@$(($(start_of EFI-SYSTEM) * 512))"
mcopy -i "$esp" ::/EFI/BOOT/BOOTX64.EFI "$tmp/core.efi" || fail "no \\EFI\\BOOT\\BOOTX64.EFI"
grep -qa 'search.fs_uuid' "$tmp/core.efi" \
  || fail "\\EFI\\BOOT\\BOOTX64.EFI is not a GRUB core image with berth's early config"
mdir -i "$esp" ::/EFI/BOOT/grubx64.efi >/dev/null 2>&1 && fail "a signed GRUB without shim on the ESP"
qemu_boot rc --disk "$tmp/core.img" --out "$tmp/core" --timeout "$timeout"
[ "$rc" = 0 ] || fail "boot of the core image: $(cat "$tmp/core/result" 2>/dev/null) (exit $rc)"
log "core image boot: $(cat "$tmp/core/elapsed") s"
assert_eq "$(info core firmware)" uefi "firmware"
assert_eq "$(info core failed-units)" none "failed units"

log "GRUB ok"
