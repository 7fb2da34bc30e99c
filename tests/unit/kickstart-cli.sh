#!/bin/bash
# berth kickstart FILE --check: what berth would install, from real kickstarts (the CentOS bootc
# examples) and from one that uses every command the parser reads; never a password, a hash or
# a passphrase in the output; errors name FILE:LINE and exit 2; --json is JSON.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
[ -x "$BERTH" ] || fail "$BERTH not built"
tmp=
mktemp_dir tmp
rw=$BERTH_FIXTURES/kickstart/real-world

log "the CentOS bootc example: image, partitions, bootloader, %post as written"
out=$("$BERTH" kickstart "$rw/centos-bootc-example-03033108.ks" --check)
assert_contains "$out" "image:      docker://quay.io/centos-bootc/fedora-bootc:eln (ostreecontainer, $rw/centos-bootc-example-03033108.ks:11)"
assert_contains "$out" "signature:  not verified (--no-signature-verification)"
assert_contains "$out" "stateroot:  default"
assert_contains "$out" "bootloader: none (--disabled)"
assert_contains "$out" "  /boot/efi    100 MiB                  efi"
assert_contains "$out" "  /boot        1000 MiB                 ext4, label boot"
assert_contains "$out" "  /            default size, grows      xfs"
assert_contains "$out" "root:       password set (crypted)"
assert_contains "$out" "services:   enabled sshd"
assert_contains "$out" "%post --erroronfail
set -euo pipefail
# Work around anaconda wanting a root password
passwd -l root"
case $out in *locked*) fail "the root password's hash ('locked') was printed" ;; esac

log "every command berth reads, with secrets that must not show"
cat >"$tmp/all.ks" <<'EOF'
ostreecontainer --url=quay.io/fedora/fedora-bootc:41 --stateroot=fedora --remote=fedora
bootloader --append="console=ttyS0,115200 quiet" --timeout=3 --password=SECRET-GRUB --iscrypted
zerombr
clearpart --all --initlabel --drives=vda
ignoredisk --only-use=vda
part /boot/efi --fstype=efi --size=600 --ondisk=vda
part / --fstype=xfs --size=10000 --grow --maxsize=20000
part /var --fstype=xfs --size=5000 --label=var --encrypted --passphrase=SECRET-LUKS
rootpw --plaintext SECRET-ROOT
user --name=core --password=SECRET-USER --iscrypted --groups=wheel --uid=1000
group --name=admins --gid=1500
sshkey --username=core "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample core@example"
timezone Europe/Berlin --utc
lang de_DE.UTF-8
keyboard --vckeymap=de --xlayouts=de
network --device=eth0 --hostname=host.example --bootproto=dhcp --wpakey=SECRET-WIFI
services --enabled=sshd,chronyd --disabled=cups
selinux --enforcing
firewall --enabled --ssh
reboot
text
%pre --interpreter=/usr/bin/python3
print("before partitioning")
%end
%post --nochroot --log=/mnt/sysroot/root/post.log
cp /etc/resolv.conf /mnt/sysroot/etc/

echo done
%end
EOF
out=$("$BERTH" kickstart --check "$tmp/all.ks")
case $out in *SECRET*) fail "a secret was printed: $out" ;; esac
assert_contains "$out" "signature:  verified with the ostree remote fedora (--remote)"
assert_contains "$out" "stateroot:  fedora"
assert_contains "$out" "kargs:      console=ttyS0,115200 quiet (bootloader --append, $tmp/all.ks:2)"
assert_contains "$out" "bootloader: location mbr, timeout 3 s, password set (crypted)"
assert_contains "$out" "disk:       zerombr; clearpart all, new partition table on vda; only disks vda"
assert_contains "$out" "  /var         5000 MiB                 xfs, label var, encrypted"
assert_contains "$out" "  /            10000 MiB, grows to 20000 MiB xfs"
assert_contains "$out" "root:       password set (plaintext)"
assert_contains "$out" "  core         password set (crypted), groups wheel, uid 1000"
assert_contains "$out" "  admins       gid 1500"
assert_contains "$out" "  core         ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample core@example"
assert_contains "$out" "hostname:   host.example"
assert_contains "$out" "network:    --device=eth0 --hostname=host.example --bootproto=dhcp --wpakey=(set)"
assert_contains "$out" "timezone:   Europe/Berlin (hardware clock in UTC)"
assert_contains "$out" "services:   enabled sshd, chronyd; disabled cups"
assert_contains "$out" "afterwards: reboot"
assert_contains "$out" "%pre --interpreter=/usr/bin/python3
print(\"before partitioning\")
%end"
assert_contains "$out" "%post --nochroot --log=/mnt/sysroot/root/post.log
cp /etc/resolv.conf /mnt/sysroot/etc/

echo done
%end"

log "--json: one JSON object, no secrets"
json=$("$BERTH" kickstart --check --json "$tmp/all.ks")
case $json in *SECRET*) fail "a secret in the JSON: $json" ;; esac
summary=$(printf '%s' "$json" | "$PYTHON3" -c '
import json, sys
o = json.load(sys.stdin)
print(o["image"]["reference"], o["stateroot"], " ".join(o["kargs"]),
      [p["mountpoint"] for p in o["partitions"]], o["users"][0]["password"],
      o["sshkeys"][0]["username"], o["timezone"]["zone"], o["network"][0]["hostname"],
      [s["section"] for s in o["scripts"]], o["scripts"][1]["body"].count("\n"))')
assert_eq "$summary" "docker://quay.io/fedora/fedora-bootc:41 fedora console=ttyS0,115200 quiet ['/boot/efi', '/', '/var'] set (crypted) core Europe/Berlin host.example ['%pre', '%post'] 3"

log "errors: FILE:LINE, what is wrong and what fixes it; exit 2"
printf 'zerombr\npart / --size=1000\nautopart\n' >"$tmp/conflict.ks"
rc=0
err=$("$BERTH" kickstart --check "$tmp/conflict.ks" 2>&1) || rc=$?
assert_eq "$rc" 2 "exit status of a bad kickstart"
assert_contains "$err" "berth kickstart: $tmp/conflict.ks:3: autopart cannot be used with part (at $tmp/conflict.ks:2)"
printf 'ostreecontainer --url=quay.io/a/b:c --no-signature-verification\n%%packages\nvim\n%%end\n' >"$tmp/packages.ks"
rc=0
err=$("$BERTH" kickstart --check "$tmp/packages.ks" 2>&1) || rc=$?
assert_eq "$rc" 2 "exit status of %packages beside an image"
assert_contains "$err" "$tmp/packages.ks:2: %packages: a container image is installed whole"
printf 'ostreecontainer --url=quay.io/a/b:c\nnetork --device=eth0\n' >"$tmp/unknown.ks"
rc=0
err=$("$BERTH" kickstart --check "$tmp/unknown.ks" 2>&1) || rc=$?
assert_eq "$rc" 2 "exit status of an unknown command"
assert_contains "$err" "$tmp/unknown.ks:2: unknown command 'netork' (did you mean network?)"
out=$("$BERTH" kickstart --check --ignore-unknown "$tmp/unknown.ks")
assert_contains "$out" "$tmp/unknown.ks:2: unknown command 'netork' (did you mean network?): skipped"
assert_contains "$out" "signature:  NOT VERIFIED: neither --remote nor --no-signature-verification was given"

log "usage: --check reads only; one target"
rc=0
err=$("$BERTH" kickstart --check --dry-run "$tmp/all.ks" 2>&1) || rc=$?
assert_eq "$rc" 2 "exit status of --check --dry-run"
assert_contains "$err" "--check only reads FILE"
rc=0
err=$("$BERTH" kickstart --disk /dev/null --via-loopback x.img "$tmp/all.ks" 2>&1) || rc=$?
assert_eq "$rc" 2 "exit status of --disk with --via-loopback"
assert_contains "$err" "--disk and --via-loopback both name the target"
log passed
