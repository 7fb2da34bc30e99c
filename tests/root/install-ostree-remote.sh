#!/bin/bash
# berth install of a signed ostree-format image (made without berth: tests/lib/ostree-image.sh)
# from a local OCI layout through ostree-remote-image:, the remote from --ostree-remote-config,
# into a --via-loopback disk image file; then the disk, mounted read-only:
#   - the sysroot repo keeps the remote's keyring (REMOTE.trustedkeys.gpg, the key that signed
#     and no other) but not the remote in its config: the deployment's
#     /etc/ostree/remotes.d/REMOTE.conf defines it, with gpgkeypath=/etc/pki/berth/REMOTE.gpg
#     (a booted system reads both places and refuses duplicates), nothing under the physical
#     root's /etc;
#   - the origin is ostree-remote-image:REMOTE:docker://NAME (--target-imgref
#     ostree-remote-registry:REMOTE:NAME);
#   - ostree itself verifies the commit as the booted system would (a view repository whose
#     parent is the disk's repo and whose config is the deployment's remote file): with the
#     repo's keyring, and with the deployment's key file alone;
#   - an image whose own /etc/ostree/remotes.d defines the remote keeps that file, and berth
#     writes none.
# The plan (--dry-run --json) names the remote and its key files. Refused before anything is
# written (the disk image file stays a hole): an unknown remote without a config, a config
# without the remote's section, a gpgkeypath that cannot be read, a key file with no key, and
# --ostree-remote-config with a docker:// reference. An image signed by another key fails in the
# pull and leaves no partition table (nothing that boots).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/lib/ostree-image.sh
. "$BERTH_TOP/tests/lib/ostree-image.sh"
need_root
need_cmd ostree gpg tar gzip jq sfdisk partx blkid wipefs mkfs.xfs mkfs.ext4 mkfs.vfat
[ -e /dev/loop-control ] || skip "no loop device support"
[ -x "$BERTH" ] || fail "$BERTH not built"
t0=$SECONDS

w=
mktemp_dir w
ostree_image_init "$w/img"
layout=$OSTREE_IMAGE_LAYOUT
key_a=$(ostree_image_gen_key signer-a)
key_b=$(ostree_image_gen_key signer-b)
if [ -z "$key_a" ] || [ -z "$key_b" ]; then fail "gpg made no keys"; fi
mkdir -p "$w/keys"
gpg --batch --armor --export "$key_a" >"$w/keys/key-a.asc"
gpg --batch --export "$key_b" >"$w/keys/key-b.gpg"

# a tree ostree deploys: one kernel with its initramfs (never booted here), /usr/etc
make_tree ()
{
  local t=$1 version=$2
  mkdir -p "$t/usr/lib/modules/6.1.0-berth" "$t/usr/etc" "$t/usr/bin"
  printf 'not a kernel %s\n' "$version" >"$t/usr/lib/modules/6.1.0-berth/vmlinuz"
  printf 'not an initramfs %s\n' "$version" >"$t/usr/lib/modules/6.1.0-berth/initramfs.img"
  printf 'ID=berth-ostree-test\nVERSION_ID=%s\n' "$version" >"$t/usr/lib/os-release"
  printf '#!/bin/sh\necho hello\n' >"$t/usr/bin/hello"
  chmod 0755 "$t/usr/bin/hello"
  printf '# berth test\n' >"$t/usr/etc/fstab"
}
make_tree "$w/tree-a" 1
c_a=$(ostree_image_commit os/a "$w/tree-a" "$key_a")
ostree_image_single v1 "$c_a"
make_tree "$w/tree-b" 2
c_b=$(ostree_image_commit os/b "$w/tree-b" "$key_b")
ostree_image_single by-b "$c_b"
# the image brings its own definition of the remote (as Fedora CoreOS brings fedora.conf)
make_tree "$w/tree-own" 3
mkdir -p "$w/tree-own/usr/etc/ostree/remotes.d"
printf '[remote "berthtest"]\nurl=https://vendor.berth.invalid/\ngpg-verify=true\ngpgkeypath=/usr/share/vendor/keys/\n' \
  >"$w/tree-own/usr/etc/ostree/remotes.d/vendor.conf"
c_own=$(ostree_image_commit os/own "$w/tree-own" "$key_a")
ostree_image_single own "$c_own"
log "images: v1 $c_a (key a), by-b $c_b (key b), own $c_own (key a, brings its remote)"

# the remote file, as /etc/ostree/remotes.d/berthtest.conf would be; gpgkeypath relative to it
cat >"$w/remote.conf" <<EOF
[remote "other"]
url=https://other.berth.invalid/

[remote "berthtest"]
url=https://updates.berth.invalid/repo
gpg-verify=true
gpgkeypath=keys/key-a.asc
EOF
image="ostree-remote-image:berthtest:oci:$layout:v1"
target_ref=ostree-remote-registry:berthtest:registry.berth.invalid/os:1

log "the plan names the remote and where its keys come from"
"$BERTH" install --dry-run --json --via-loopback "$image" "$w/plan.img" \
  --ostree-remote-config "$w/remote.conf" >"$w/plan.json" 2>"$w/plan.err" ||
  fail "dry run failed: $(cat "$w/plan.err")"
assert_eq "$(jq -r .ostreeRemote.name "$w/plan.json")" berthtest "plan: remote"
assert_eq "$(jq -r .ostreeRemote.config "$w/plan.json")" "$w/remote.conf" "plan: remote file"
assert_eq "$(jq -r .ostreeRemote.configFrom "$w/plan.json")" --ostree-remote-config "plan: from"
assert_eq "$(jq -r '.ostreeRemote.keyFiles | join(" ")' "$w/plan.json")" "$w/keys/key-a.asc" "plan: key files"
assert_eq "$(jq -r .ostreeRemote.keys "$w/plan.json")" 1 "plan: keys"
assert_eq "$(jq -r .ostreeRemote.installed.config "$w/plan.json")" /etc/ostree/remotes.d/berthtest.conf "plan: kept as"
assert_eq "$(jq -r .ostreeRemote.installed.keyFile "$w/plan.json")" /etc/pki/berth/berthtest.gpg "plan: key kept as"
assert_eq "$(jq -r .origin "$w/plan.json")" "ostree-remote-image:berthtest:oci:$layout:v1" "plan: origin"
[ ! -e "$w/plan.img" ] || fail "the dry run made $w/plan.img"
"$BERTH" install --dry-run --via-loopback "$image" "$w/plan.img" --ostree-remote-config "$w/remote.conf" \
  >"$w/plan.txt" 2>&1 || fail "dry run (text) failed: $(cat "$w/plan.txt")"
sed 's/^/#   plan: /' "$w/plan.txt" >&2
assert_contains "$(cat "$w/plan.txt")" 'keys of ostree remote "berthtest"'
assert_contains "$(cat "$w/plan.txt")" "1 key from $w/keys/key-a.asc"
assert_contains "$(cat "$w/plan.txt")" "/etc/ostree/remotes.d/berthtest.conf"

# gpgkeypath naming a directory (as Fedora's /etc/pki/rpm-gpg/): its key files; a file in it
# that is no key is passed over, as libostree does
mkdir -p "$w/keydir"
cp "$w/keys/key-a.asc" "$w/keydir/a.asc"
printf 'keys for berthtest\n' >"$w/keydir/README"
printf '[remote "berthtest"]\ngpg-verify=true\ngpgkeypath=%s/\n' "$w/keydir" >"$w/dir.conf"
"$BERTH" install --dry-run --json --via-loopback "$image" "$w/plan.img" \
  --ostree-remote-config "$w/dir.conf" >"$w/plan.json" 2>"$w/plan.err" ||
  fail "dry run with a key directory failed: $(cat "$w/plan.err")"
assert_eq "$(jq -r '.ostreeRemote.keyFiles | join(" ")' "$w/plan.json")" "$w/keydir/a.asc" "plan: key files of a directory"
assert_eq "$(jq -r .ostreeRemote.url "$w/plan.json")" null "plan: a remote without url"

# ---- refusals: nothing written ------------------------------------------------------------

# refused STATUS NAME EXPECTED-TEXT BERTH-ARGS...: `berth install ... $w/NAME.img --via-loopback`
# exits STATUS naming the text, and the disk image file (made sparse first) stays one hole
refused ()
{
  local status=$1 name=$2 want=$3 img=$w/$2.img rc=0
  shift 3
  truncate -s 2G "$img"
  "$BERTH" install "$@" "$img" --via-loopback --bootloader none >"$w/$name.out" 2>&1 || rc=$?
  assert_eq "$rc" "$status" "$name: exit status ($(tail -n 3 "$w/$name.out"))"
  assert_contains "$(cat "$w/$name.out")" "$want" "$name: error"
  assert_eq "$(stat -c %b "$img")" 0 "$name: blocks written to $img"
  assert_eq "$(stat -c %s "$img")" $((2 * 1024 * 1024 * 1024)) "$name: size of $img"
  [ -z "$(losetup -n -O NAME -j "$img")" ] || fail "$name: a loop device is left over $img"
  log "refused $name: $(grep -v '^\[' "$w/$name.out" | head -n 1)"
}

nosuch=berthnosuch$$
refused 2 unknown-remote "no /etc/ostree/remotes.d/$nosuch.conf" "ostree-remote-image:$nosuch:oci:$layout:v1"
assert_contains "$(cat "$w/unknown-remote.out")" "ostree remote \"$nosuch\""
assert_contains "$(cat "$w/unknown-remote.out")" "pass --ostree-remote-config FILE"

printf '[remote "other"]\nurl=https://other.berth.invalid/\ngpgkeypath=%s\n' "$w/keys/key-a.asc" >"$w/no-section.conf"
refused 2 no-section "has no [remote \"berthtest\"] section (it has only [remote \"other\"])" \
  "$image" --ostree-remote-config "$w/no-section.conf"
assert_contains "$(cat "$w/no-section.out")" "$w/no-section.conf"

printf '[remote "berthtest"]\nurl=https://x.berth.invalid/\ngpg-verify=true\ngpgkeypath=%s\n' "$w/keys/gone.gpg" >"$w/gone.conf"
refused 2 key-unreadable "its gpgkeypath names $w/keys/gone.gpg, which berth cannot read" \
  "$image" --ostree-remote-config "$w/gone.conf"

printf 'not a key\n' >"$w/keys/junk.gpg"
printf '[remote "berthtest"]\nurl=https://x.berth.invalid/\ngpgkeypath=%s\n' "$w/keys/junk.gpg" >"$w/junk.conf"
refused 2 key-junk "$w/keys/junk.gpg holds no OpenPGP public key" "$image" --ostree-remote-config "$w/junk.conf"

printf '[remote "berthtest"]\nurl=https://x.berth.invalid/\ngpg-verify=true\n' >"$w/nokeys.conf"
refused 2 no-gpgkeypath "has no gpgkeypath=" "$image" --ostree-remote-config "$w/nokeys.conf"

refused 2 plain-reference "--ostree-remote-config goes with an IMAGE of the form ostree-remote-registry:" \
  docker://127.0.0.1:9/berth/none:1 --ostree-remote-config "$w/remote.conf"
refused 2 plain-oci "names no remote" "oci:$layout:v1" --ostree-remote-config "$w/remote.conf"

log "an image signed by another key: the pull fails, and the table berth wrote is wiped"
truncate -s 2G "$w/wrong-key.img"
rc=0
"$BERTH" install "ostree-remote-image:berthtest:oci:$layout:by-b" "$w/wrong-key.img" --via-loopback \
  --bootloader none --ostree-remote-config "$w/remote.conf" >"$w/wrong-key.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "wrong key: exit status ($(tail -n 3 "$w/wrong-key.out"))"
assert_contains "$(cat "$w/wrong-key.out")" "Install step 'pull' failed"
assert_contains "$(cat "$w/wrong-key.out")" 'does not verify with the keys of ostree remote "berthtest"'
assert_contains "$(cat "$w/wrong-key.out")" "${key_b: -16}"
if sfdisk -d "$w/wrong-key.img" >/dev/null 2>&1; then
  fail "a partition table remains after the failed install: $(sfdisk -d "$w/wrong-key.img")"
fi
assert_eq "$(wipefs -n "$w/wrong-key.img")" "" "signatures after the failed install"
[ -z "$(losetup -n -O NAME -j "$w/wrong-key.img")" ] || fail "wrong key: a loop device is left"

# ---- the install ----------------------------------------------------------------------------

# inspect IMG DIR: attaches IMG read-only-mounted at DIR (root filesystem only); sets $deploy
deploy=
part_of_type ()
{
  local nr
  nr=$(partx -g -o NR,TYPE "$1" 2>/dev/null | awk -v t="${2,,}" 'tolower($2) == t { print $1; exit }')
  [ -z "$nr" ] || disk_part "$1" "$nr"
}
inspect ()
{
  local img=$1 r=$2 dev root
  disk_attach dev "$img"
  disk_scan "$dev"
  root=$(part_of_type "$dev" "$DISK_TYPE_ROOT_X86_64")
  [ -n "$root" ] || fail "$img: no root partition"
  disk_mount "$root" "$r" ro,norecovery
  local deployments=("$r"/ostree/deploy/default/deploy/*.0)
  if [ ${#deployments[@]} != 1 ] || [ ! -d "${deployments[0]}" ]; then
    fail "$img: not one deployment: ${deployments[*]}"
  fi
  deploy=${deployments[0]}
}

"$BERTH" install "$image" "$w/disk.img" --via-loopback --size 2G --bootloader none \
  --ostree-remote-config "$w/remote.conf" --target-imgref "$target_ref" >"$w/install.out" 2>&1 ||
  { cat "$w/install.out" >&2; fail "the install failed"; }
sed 's/^/#   install: /' "$w/install.out" >&2
assert_contains "$(cat "$w/install.out")" 'ostree remote "berthtest" kept for upgrades: /etc/ostree/remotes.d/berthtest.conf'
inspect "$w/disk.img" "$w/r"
repo=$w/r/ostree/repo
log "installed: $deploy"

# the keyring in the repo: key a, not key b
keyring=$repo/berthtest.trustedkeys.gpg
[ -f "$keyring" ] || fail "no $keyring"
mkdir -m 700 "$w/list-home"
listed=$(GNUPGHOME=$w/list-home gpg --batch --no-default-keyring --keyring "$keyring" --with-colons --list-keys 2>/dev/null || true)
assert_contains "$listed" "$key_a" "the repo's keyring"
case "$listed" in *"$key_b"*) fail "key b is in the repo's keyring" ;; esac
# the remote is defined once: not in the repo's config, in the deployment's /etc
remotes=$(ostree remote list --repo="$repo")
assert_eq "$remotes" "" "remotes in the sysroot repo's config"
[ ! -e "$w/r/etc/ostree/remotes.d" ] || fail "a remotes.d under the physical root: $(ls "$w/r/etc/ostree/remotes.d")"
conf=$deploy/etc/ostree/remotes.d/berthtest.conf
[ -f "$conf" ] || fail "no /etc/ostree/remotes.d/berthtest.conf in the deployment"
sed 's/^/#   berthtest.conf: /' "$conf" >&2
grep -qx '\[remote "berthtest"\]' "$conf" || fail "berthtest.conf has no [remote \"berthtest\"]"
grep -qx 'url=https://updates.berth.invalid/repo' "$conf" || fail "berthtest.conf lost the url"
grep -qx 'gpg-verify=true' "$conf" || fail "berthtest.conf does not say gpg-verify=true"
grep -qx 'gpgkeypath=/etc/pki/berth/berthtest.gpg' "$conf" || fail "berthtest.conf: gpgkeypath"
grep -q "$w" "$conf" && fail "berthtest.conf names a path of the installing host"
grep -q '"other"' "$conf" && fail "berthtest.conf took the other remote of the file"
cmp "$deploy/etc/pki/berth/berthtest.gpg" "$keyring" || fail "/etc/pki/berth/berthtest.gpg is not the repo's keyring"
# the origin: ostree-ext's canonical form
origin=$(sed -n 's/^container-image-reference=//p' "$deploy.origin")
assert_eq "$origin" "ostree-remote-image:berthtest:docker://registry.berth.invalid/os:1" "origin"
# the signed commit is in the repo, with its signature
ostree show --repo="$repo" "$c_a" >/dev/null || fail "commit $c_a is not in the sysroot repo"

# booted_sees_remote OSTREE-DIR: libostree, as on the running system (a sysroot that is not the
# physical root: it has a /sysroot; here with OSTREE-DIR as /ostree and the deployment's /etc),
# reads /ostree/repo/config and /etc/ostree/remotes.d together and finds remote berthtest:
# `ostree remote add --if-not-exists` then writes nothing (the disk is mounted read-only, so a
# write would fail). A remote both places define makes every ostree command there fail
# ("Multiple specifications found for remote").
booted_sees_remote ()
{
  local v
  v=$(mktemp -d "$w/booted.XXXXXX")
  mkdir -p "$v/sysroot" "$v/boot"
  ln -s "$1" "$v/ostree"
  ln -s "$deploy/etc" "$v/etc"
  ostree remote add --sysroot="$v" --if-not-exists berthtest https://probe.berth.invalid/ >"$w/booted.out" 2>&1
}

# good_signature REPO COMMIT: `ostree show --gpg-verify-remote` finds a good signature by key a
# (it exits 0 whatever it finds: the verdict is in its output)
good_signature ()
{
  ostree show --repo="$1" --gpg-verify-remote=berthtest "$2" >"$w/show.out" 2>&1 || return 1
  grep -q 'Good signature' "$w/show.out" && grep -q "${key_a: -16}" "$w/show.out"
}

booted_sees_remote "$w/r/ostree" || fail "the booted system's libostree: $(cat "$w/booted.out")"
# what berth avoids: the remote also in the repo's config (a scratch repo with the disk's deploy)
mkdir -p "$w/dup/ostree/deploy"
ostree init --repo="$w/dup/ostree/repo" --mode=bare-user
printf '[remote "berthtest"]\nurl=https://dup.berth.invalid/\n' >>"$w/dup/ostree/repo/config"
if booted_sees_remote "$w/dup/ostree"; then fail "a remote defined twice went unnoticed"; fi
assert_contains "$(cat "$w/booted.out")" 'Multiple specifications found for remote "berthtest"'

# ostree verifies as the booted system would: the remote from the deployment's /etc, the
# keyring from the repo (a view repo with the disk's repo as its parent; gpgkeypath through the
# deployment, where / would be)
view=$w/view
ostree init --repo="$view" --mode=archive
ostree config --repo="$view" set core.parent "$repo"
sed "s|^gpgkeypath=/|gpgkeypath=$deploy/|" "$conf" >>"$view/config"
assert_eq "$(ostree remote list --repo="$view")" berthtest "remotes the booted system sees"
if ostree remote gpg-list-keys --repo="$view" berthtest >"$w/keys.out" 2>&1; then
  grep -q "${key_a: -16}" "$w/keys.out" || fail "gpg-list-keys does not list key a: $(cat "$w/keys.out")"
else
  log "ostree remote gpg-list-keys unavailable: $(head -n 1 "$w/keys.out")"
fi
good_signature "$view" "$c_a" || fail "ostree does not verify $c_a with remote berthtest: $(cat "$w/show.out")"
# the deployment's key file alone (a repo without the keyring: the commit copied over)
alone=$w/alone
ostree init --repo="$alone" --mode=archive
ostree pull-local --repo="$alone" --commit-metadata-only "$repo" "$c_a" >/dev/null
sed "s|^gpgkeypath=/|gpgkeypath=$deploy/|" "$conf" >>"$alone/config"
[ ! -e "$alone/berthtest.trustedkeys.gpg" ] || fail "the keyring came along"
good_signature "$alone" "$c_a" || fail "the deployment's key file does not verify $c_a: $(cat "$w/show.out")"
# and a commit signed by key b does not verify
ostree init --repo="$w/b-src" --mode=archive
ostree pull-local --repo="$w/b-src" --commit-metadata-only "$OSTREE_IMAGE_SRC" "$c_b" >/dev/null
ostree config --repo="$view" set core.parent "$w/b-src"
good_signature "$view" "$c_b" && fail "a commit signed by key b verified with remote berthtest: $(cat "$w/show.out")"
assert_contains "$(cat "$w/show.out")" "public key not found" "key b's commit"
log "ostree verifies $c_a with remote berthtest as installed"

log "an image that defines the remote itself keeps its definition"
"$BERTH" install "ostree-remote-image:berthtest:oci:$layout:own" "$w/own.img" --via-loopback \
  --size 2G --bootloader none --ostree-remote-config "$w/remote.conf" >"$w/own.out" 2>&1 ||
  { cat "$w/own.out" >&2; fail "the install of the image with its own remote failed"; }
assert_contains "$(cat "$w/own.out")" 'the image defines it (/etc/ostree/remotes.d/vendor.conf)'
inspect "$w/own.img" "$w/own"
[ ! -e "$deploy/etc/ostree/remotes.d/berthtest.conf" ] || fail "berth wrote berthtest.conf beside the image's vendor.conf"
[ ! -e "$deploy/etc/pki/berth/berthtest.gpg" ] || fail "berth wrote a key file the image's remote does not name"
cmp "$deploy/etc/ostree/remotes.d/vendor.conf" "$w/tree-own/usr/etc/ostree/remotes.d/vendor.conf" ||
  fail "the image's vendor.conf changed"
assert_eq "$(ostree remote list --repo="$w/own/ostree/repo")" "" "remotes in the repo's config (own)"
[ -f "$w/own/ostree/repo/berthtest.trustedkeys.gpg" ] || fail "the keys berth verified with are gone (own)"
booted_sees_remote "$w/own/ostree" || fail "the booted system's libostree (own): $(cat "$w/booted.out")"

log "passed in $((SECONDS - t0)) s"
