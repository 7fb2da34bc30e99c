#!/bin/bash
# berth upgrade --disk of an installed disk image: a signed ostree-format image (made without
# berth: tests/lib/ostree-image.sh) installed from an OCI layout through
# ostree-remote-image:berthtest:oci:LAYOUT:stable with --ostree-remote-config, then the tag
# re-pointed and the disk upgraded offline:
#   - --check says whether an update is available and writes nothing;
#   - the upgrade pulls the image into the disk's repo (one layer fetched, the shared derived
#     layer reused), verifies the commit with the installed system's remote (the deployment's
#     /etc/ostree/remotes.d/berthtest.conf and the repo's keyring; nothing written into the
#     repo's config), deploys it as the new default with the old one as rollback (2
#     deployments), origin and kernel arguments kept, /etc edits carried over, the old image's
#     blob refs pruned, ostree fsck clean;
#   - nothing new: "No update available", nothing changes (BLS entries byte-identical);
#   - a commit signed by another key, an unsigned one, and a system without the remote: refused
#     naming remote "berthtest", the disk exactly as before (deployments, refs, BLS entries,
#     the repo's config); an image without a kernel: pulled, but not deployed (deployments and
#     BLS entries as before);
#   - a second upgrade keeps 2 deployments (the oldest goes);
#   - berth kargs --disk (which shares the disk session) still reads and edits;
#   - an unverified origin (oci:LAYOUT:TAG) upgraded through --sysroot, no signature asked for.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/lib/ostree-image.sh
. "$BERTH_TOP/tests/lib/ostree-image.sh"
need_root
need_cmd ostree gpg tar gzip jq sfdisk partx blkid losetup mkfs.xfs mkfs.ext4 mkfs.vfat
[ -e /dev/loop-control ] || skip "no loop device support"
[ -x "$BERTH" ] || fail "$BERTH not built"
t0=$SECONDS

w=
mktemp_dir w
# whatever berth itself attached over the disk image files (a berth that died mid-way): its
# loop devices and their mounts, found from the files, undone on any exit
on_exit "_disk_cleanup_file '$w/disk.img'"
on_exit "_disk_cleanup_file '$w/disk2.img'"
ostree_image_init "$w/img"
layout=$OSTREE_IMAGE_LAYOUT
src=$OSTREE_IMAGE_SRC
key_a=$(ostree_image_gen_key signer-a)
key_b=$(ostree_image_gen_key signer-b)
if [ -z "$key_a" ] || [ -z "$key_b" ]; then fail "gpg made no keys"; fi
mkdir -p "$w/keys"
gpg --batch --armor --export "$key_a" >"$w/keys/key-a.asc"

# a tree ostree deploys: one kernel with its initramfs (never booted here), /usr/etc
make_tree ()
{
  local t=$1 version=$2
  mkdir -p "$t/usr/lib/modules/6.1.0-berth" "$t/usr/etc" "$t/usr/bin"
  printf 'not a kernel %s\n' "$version" >"$t/usr/lib/modules/6.1.0-berth/vmlinuz"
  printf 'not an initramfs %s\n' "$version" >"$t/usr/lib/modules/6.1.0-berth/initramfs.img"
  printf 'ID=berth-ostree-test\nVERSION_ID=%s\n' "$version" >"$t/usr/lib/os-release"
  printf '#!/bin/sh\necho hello %s\n' "$version" >"$t/usr/bin/hello"
  chmod 0755 "$t/usr/bin/hello"
  printf '# berth test\n' >"$t/usr/etc/fstab"
  printf 'version=%s\n' "$version" >"$t/usr/etc/berth-version.conf"
}

# a derived layer every image has on top of its ostree layer (reused by an upgrade)
mkdir -p "$w/derived/usr/share/berth-derived"
printf 'derived\n' >"$w/derived/usr/share/berth-derived/README"
tar -C "$w/derived" --numeric-owner --owner=0 --group=0 --mtime=@0 --format=gnu -cf - usr |
  gzip -n >"$w/derived.tar.gz"

# image TAG COMMIT: the image of COMMIT (its objects in one ostree layer, without a commitmeta
# when it is unsigned) and the derived layer, tagged TAG; the same COMMIT gives the same blobs
image ()
{
  local tag=$1 c=$2 list=$w/img-$1.list f
  { printf 'sysroot\nsysroot/ostree\nsysroot/ostree/repo\nsysroot/ostree/repo/objects\n'
    ostree_image_object_files "$c" | sed -E 's|^(sysroot/ostree/repo/objects/..)/.*|\1|' | sort -u
    ostree_image_object_files "$c" | while read -r f; do
      if [ -e "$OSTREE_IMAGE_DIR/src/$f" ]; then printf '%s\n' "$f"; fi
    done; } >"$list"
  ostree_image_tar_layer "$w/commit-$c.tar.gz" "$list"
  ostree_image_write "$tag" "$c" "ostree:$w/commit-$c.tar.gz" "derived:$w/derived.tar.gz"
}
# layer_ref TAG N: the blob ref of layer N of the image tagged TAG now
layer_ref ()
{
  local m d
  m=$(jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$layout/index.json")
  d=$(jq -r --argjson n "$2" '.layers[$n].digest' "$layout/blobs/sha256/${m#sha256:}")
  printf 'ostree/container/blob/sha256_3A_%s\n' "${d#sha256:}"
}
manifest_of ()
{
  jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$layout/index.json"
}

for v in 1 2 3; do make_tree "$w/tree-$v" "$v"; done
c1=$(ostree_image_commit os/v1 "$w/tree-1" "$key_a")
c2=$(ostree_image_commit os/v2 "$w/tree-2" "$key_a")
c3=$(ostree_image_commit os/v3 "$w/tree-3" "$key_a")
make_tree "$w/tree-b" b
cb=$(ostree_image_commit os/b "$w/tree-b" "$key_b")
make_tree "$w/tree-u" u
make_tree "$w/tree-n" n
rm -r "$w/tree-n/usr/lib/modules"
cn=$(ostree_image_commit os/n "$w/tree-n" "$key_a")
ostree commit --repo="$src" --branch=os/unsigned --tree=dir="$w/tree-u" \
  --subject="berth unsigned" --timestamp=2026-01-01T00:00:00Z >/dev/null
cu=$(ostree rev-parse --repo="$src" os/unsigned)
for v in 1 2 3 b u n; do
  c=c$v
  image "v$v" "${!c}"
done
v1_layer=$(layer_ref v1 0) v2_layer=$(layer_ref v2 0) derived_layer=$(layer_ref v1 1)
assert_eq "$(layer_ref v2 1)" "$derived_layer" "the derived layer's blob, shared"
image stable "$c1"
log "images: v1 $c1, v2 $c2, v3 $c3, no kernel $cn (key a), by-b $cb (key b), unsigned $cu"

cat >"$w/remote.conf" <<EOF
[remote "berthtest"]
url=https://updates.berth.invalid/repo
gpg-verify=true
gpgkeypath=keys/key-a.asc
EOF
origin="ostree-remote-image:berthtest:oci:$layout:stable"

# ---- helpers on the installed disk ---------------------------------------------------------

part_of_type ()
{
  local nr
  nr=$(partx -g -o NR,TYPE "$1" 2>/dev/null | awk -v t="${2,,}" 'tolower($2) == t { print $1; exit }')
  [ -z "$nr" ] || disk_part "$1" "$nr"
}
dev2=
# open_disk [OPTS]: disk.img attached, root at $r, /boot at $r/boot (read-only unless OPTS)
dev=
r=$w/r
open_disk ()
{
  local opts=${1:-ro} root boot
  disk_attach dev "$w/disk.img"
  disk_scan "$dev"
  root=$(part_of_type "$dev" "$DISK_TYPE_ROOT_X86_64")
  boot=$(part_of_type "$dev" "$DISK_TYPE_XBOOTLDR")
  if [ -z "$root" ] || [ -z "$boot" ]; then fail "disk.img: no root or no /boot partition"; fi
  disk_mount "$root" "$r" "$opts"
  disk_mount "$boot" "$r/boot" "$opts"
}
close_disk ()
{
  disk_release "$dev"
  dev=
}
repo=$r/ostree/repo
# deployments: "CSUM.SERIAL" of each deployment, the default first (ostree's order)
deployments ()
{
  ostree admin status --sysroot="$r" 2>/dev/null | sed -n 's/^[* ] default \([0-9a-f]*\.[0-9]*\).*/\1/p'
}
# state [boot]: what an upgrade may change, as text: the deployments and their origins, the
# boot version, the BLS entries (names and bytes), the repo's config, and (without "boot")
# every ref and its commit
state ()
{
  local f ref
  deployments
  for f in "$r"/ostree/deploy/default/deploy/*.origin; do printf '== %s\n' "${f##*/}"; cat "$f"; done
  readlink "$r/boot/loader"
  for f in "$r"/boot/loader/entries/*; do printf '== %s\n' "${f##*/}"; cat "$f"; done
  printf '== config\n'
  cat "$repo/config"
  [ "${1:-}" != boot ] || return 0
  ostree refs --repo="$repo" | sort | while read -r ref; do
    printf '%s %s\n' "$ref" "$(ostree rev-parse --repo="$repo" "$ref")"
  done
}
# entry_options N: the options line of BLS entry ostree-N-default.conf
entry_options ()
{
  sed -n 's/^options //p' "$r/boot/loader/entries/ostree-$1-default.conf"
}
# upgrade NAME ARGS...: berth upgrade --disk disk.img ARGS, output in $w/NAME.out, status in $rc
rc=0
upgrade ()
{
  local name=$1
  shift
  rc=0
  "$BERTH" upgrade --disk "$w/disk.img" "$@" >"$w/$name.out" 2>"$w/$name.err" || rc=$?
  sed "s/^/#   $name: /" "$w/$name.out" "$w/$name.err" >&2
  [ -z "$(losetup -n -O NAME -j "$w/disk.img")" ] || fail "$name: berth left a loop device over disk.img"
  if grep -q 'berth-disk-' /proc/mounts; then fail "$name: berth left a mount behind"; fi
}

# ---- the install -----------------------------------------------------------------------------

"$BERTH" install "$origin" "$w/disk.img" --via-loopback --size 2G --bootloader none \
  --ostree-remote-config "$w/remote.conf" --karg berth.test=x >"$w/install.out" 2>&1 ||
  { cat "$w/install.out" >&2; fail "the install failed"; }
log "installed in $((SECONDS - t0)) s"

# a local edit in the installed system's /etc, which the upgrade's /etc merge carries over
open_disk rw
mapfile -t before < <(deployments)
assert_eq "${#before[@]}" 1 "deployments after the install"
d1=$r/ostree/deploy/default/deploy/${before[0]}
printf 'edited before the upgrade\n' >"$d1/etc/berth-local.conf"
assert_eq "$(sed -n 's/^container-image-reference=//p' "$d1.origin")" "$origin" "origin after the install"
origin_bytes=$(cat "$d1.origin")
kargs_v1=$(entry_options 1 | sed 's/ ostree=[^ ]*//')
assert_contains "$kargs_v1" "berth.test=x" "the installed kernel arguments"
assert_eq "$(ostree remote list --repo="$repo")" "" "remotes in the repo's config after the install"
config_v1=$(cat "$repo/config")
image_ref=$(ostree refs --repo="$repo" ostree/container/image)
assert_eq "$(printf '%s\n' "$image_ref" | wc -l)" 1 "image refs after the install"
image_ref=ostree/container/image/$image_ref
state_v1=$(state)
close_disk

# ---- nothing new, and --check -------------------------------------------------------------------

upgrade same-check --check
assert_eq "$rc" 0 "--check with nothing new: exit status"
assert_contains "$(cat "$w/same-check.out")" "No update available"
upgrade same
assert_eq "$rc" 0 "upgrade with nothing new: exit status"
assert_contains "$(cat "$w/same.out")" "No update available: the default deployment (default ${before[0]})"
open_disk
assert_eq "$(state)" "$state_v1" "the disk after an upgrade with nothing new"
close_disk

image stable "$c2"
upgrade check --check
assert_eq "$rc" 0 "--check: exit status"
assert_contains "$(cat "$w/check.out")" "Update available: $origin is $(manifest_of stable | cut -c1-19) now"
open_disk
assert_eq "$(state)" "$state_v1" "the disk after --check"
close_disk

# ---- the upgrade -----------------------------------------------------------------------------

t1=$SECONDS
upgrade v2
assert_eq "$rc" 0 "the upgrade to v2: exit status ($(cat "$w/v2.err"))"
log "upgraded in $((SECONDS - t1)) s"
out=$(cat "$w/v2.out")
assert_contains "$out" "Pulled $origin ($(manifest_of stable | cut -c1-19)): 1 layer fetched, 1 reused"
assert_contains "$out" 'Signature checked with ostree remote "berthtest" (/etc/ostree/remotes.d/berthtest.conf)'
assert_contains "$out" "Rollback: default ${before[0]}"
assert_contains "$out" "Pruned 1 unused layer ref"
assert_contains "$out" "Reboot to boot it."
assert_contains "$(cat "$w/v2.err")" "/etc/pki/berth/berthtest.gpg"
open_disk
mapfile -t after < <(deployments)
assert_eq "${after[*]}" "$(sed -n 's/^New default deployment: default \([^ ]*\) .*/\1/p' "$w/v2.out") ${before[0]}" \
  "deployments after the upgrade (the new default, then the old one)"
d2=$r/ostree/deploy/default/deploy/${after[0]}
assert_eq "${after[0]%.*}" "$(ostree rev-parse --repo="$repo" "$image_ref")" "the new default is the image ref's commit"
assert_eq "$(sed -n 's/^VERSION_ID=//p' "$d2/usr/lib/os-release")" 2 "the new deployment's os-release"
assert_eq "$(cat "$d2.origin")" "$origin_bytes" "the new deployment's origin"
assert_eq "$(cat "$d2/etc/berth-local.conf")" "edited before the upgrade" "/etc edit carried over"
assert_eq "$(cat "$d2/etc/berth-version.conf")" "version=2" "/etc file the image changed"
assert_eq "$(ls "$r/boot/loader/entries")" "$(printf 'ostree-1-default.conf\nostree-2-default.conf')" "BLS entries"
assert_eq "$(entry_options 2 | sed 's/ ostree=[^ ]*//')" "$kargs_v1" "the new entry's kernel arguments"
assert_contains "$(entry_options 2)" "berth.test=x"
# the entry boots the new deployment: its ostree= link leads there
boot_link=$(entry_options 2 | sed -n 's/.* ostree=\([^ ]*\).*/\1/p')
assert_eq "$(readlink -f "$r$boot_link")" "$(readlink -f "$d2")" "the new entry's ostree="
refs=$(ostree refs --repo="$repo")
case "$refs" in *"${v1_layer#ostree/}"*) fail "v1's layer ref is left: $refs" ;; esac
assert_contains "$refs" "${v2_layer#ostree/}" "v2's layer ref"
assert_contains "$refs" "${derived_layer#ostree/}" "the shared derived layer's ref"
assert_eq "$(cat "$repo/config")" "$config_v1" "the repo's config after the upgrade"
ostree fsck --repo="$repo" >"$w/fsck.out" 2>&1 || { cat "$w/fsck.out" >&2; fail "ostree fsck after the upgrade"; }
ostree show --repo="$repo" "$c1" >/dev/null 2>&1 && fail "v1's ostree commit $c1 was not pruned"
state_v2=$(state)
state_v2_boot=$(state boot)
close_disk

upgrade again
assert_eq "$rc" 0 "a second upgrade with nothing new: exit status"
assert_contains "$(cat "$w/again.out")" "No update available: the default deployment (default ${after[0]})"
open_disk
assert_eq "$(state)" "$state_v2" "the disk after a second upgrade with nothing new"
close_disk

# ---- refused: the disk exactly as before -------------------------------------------------------

# refused NAME TAG TEXT: stable re-pointed to the image TAG; the upgrade fails naming remote
# berthtest and TEXT, and the disk is as it was
refused ()
{
  local name=$1 tag=$2 want=$3 c
  c=c${tag#v}
  image stable "${!c}"
  upgrade "$name"
  assert_eq "$rc" 1 "$name: exit status"
  assert_contains "$(cat "$w/$name.err")" 'ostree remote "berthtest"' "$name: error"
  assert_contains "$(cat "$w/$name.err")" "$want" "$name: error"
  assert_contains "$(cat "$w/$name.err")" "nothing was deployed; the default deployment is still default ${after[0]}"
  open_disk
  assert_eq "$(state)" "$state_v2" "$name: the disk after the refused upgrade"
  close_disk
}
refused wrong-key vb "does not verify with the keys of"
assert_contains "$(cat "$w/wrong-key.err")" "${key_b: -16}"
assert_contains "$(cat "$w/wrong-key.err")" "/etc/ostree/remotes.d/berthtest.conf"
refused unsigned vu "is not signed"

# the installed system without the remote: refused before anything is fetched
open_disk rw
mv "$d2/etc/ostree/remotes.d/berthtest.conf" "$w/berthtest.conf.saved"
state_noremote=$(state)
close_disk
image stable "$c3"
upgrade no-remote
assert_eq "$rc" 2 "no remote: exit status"
assert_contains "$(cat "$w/no-remote.err")" 'ostree remote "berthtest", but it does not define that remote'
assert_contains "$(cat "$w/no-remote.err")" "/etc/ostree/remotes.d/berthtest.conf"
open_disk rw
assert_eq "$(state)" "$state_noremote" "no remote: the disk after the refused upgrade"
mv "$w/berthtest.conf.saved" "$d2/etc/ostree/remotes.d/berthtest.conf"
close_disk

# a signed image that cannot boot: pulled, but refused before the deploy writes anything
image stable "$cn"
upgrade no-kernel
assert_eq "$rc" 1 "no kernel: exit status"
assert_contains "$(cat "$w/no-kernel.err")" "The image is not bootable: it has no /usr/lib/modules"
assert_contains "$(cat "$w/no-kernel.err")" "nothing was deployed; the default deployment is still default ${after[0]}"
open_disk
assert_eq "$(state boot)" "$state_v2_boot" "no kernel: the boot state after the refused upgrade"
close_disk
image stable "$c3"

# ---- a second upgrade: still 2 deployments ---------------------------------------------------

upgrade v3
assert_eq "$rc" 0 "the upgrade to v3: exit status ($(cat "$w/v3.err"))"
open_disk
mapfile -t third < <(deployments)
assert_eq "${#third[@]}" 2 "deployments after a second upgrade"
assert_eq "${third[1]}" "${after[0]}" "the rollback after a second upgrade"
assert_eq "$(sed -n 's/^VERSION_ID=//p' "$r/ostree/deploy/default/deploy/${third[0]}/usr/lib/os-release")" 3 "v3's os-release"
[ ! -e "$d1" ] || fail "the first deployment is left after two upgrades"
assert_eq "$(cat "$r/ostree/deploy/default/deploy/${third[0]}/etc/berth-local.conf")" "edited before the upgrade" "/etc edit after two upgrades"
refs=$(ostree refs --repo="$repo")
case "$refs" in *"${v2_layer#ostree/}"*) fail "v2's layer ref is left: $refs" ;; esac
ostree fsck --repo="$repo" >"$w/fsck.out" 2>&1 || { cat "$w/fsck.out" >&2; fail "ostree fsck after the second upgrade"; }
close_disk

# ---- berth kargs --disk, which shares the disk session --------------------------------------

kargs=$("$BERTH" kargs --disk "$w/disk.img")
assert_eq "$kargs" "$kargs_v1" "berth kargs --disk after the upgrades"
"$BERTH" kargs --disk "$w/disk.img" --append berth.after=upgrade >/dev/null
assert_eq "$("$BERTH" kargs --disk "$w/disk.img")" "$kargs_v1 berth.after=upgrade" "berth kargs --disk --append"
[ -z "$(losetup -n -O NAME -j "$w/disk.img")" ] || fail "berth kargs left a loop device over disk.img"

# ---- an unverified origin, upgraded through --sysroot (the caller mounted it) ------------------

image plain "$c1"
"$BERTH" install "oci:$layout:plain" "$w/disk2.img" --via-loopback --size 2G --bootloader none \
  >"$w/install2.out" 2>&1 || { cat "$w/install2.out" >&2; fail "the install of oci:...:plain failed"; }
image plain "$cu" # no signature asked for: an unsigned commit is fine
disk_attach dev2 "$w/disk2.img"
disk_scan "$dev2"
disk_mount "$(part_of_type "$dev2" "$DISK_TYPE_ROOT_X86_64")" "$w/r2"
disk_mount "$(part_of_type "$dev2" "$DISK_TYPE_XBOOTLDR")" "$w/r2/boot"
"$BERTH" upgrade --sysroot "$w/r2" >"$w/plain.out" 2>"$w/plain.err" ||
  { cat "$w/plain.err" >&2; fail "the upgrade of the unverified origin failed"; }
sed 's/^/#   plain: /' "$w/plain.out" >&2
assert_contains "$(cat "$w/plain.out")" "Pulled ostree-unverified-image:oci:$layout:plain"
case "$(cat "$w/plain.out" "$w/plain.err")" in *Signature* | *signature*) fail "a signature was checked for an unverified origin" ;; esac
mapfile -t plain < <(ostree admin status --sysroot="$w/r2" 2>/dev/null | sed -n 's/^[* ] default \([0-9a-f]*\.[0-9]*\).*/\1/p')
assert_eq "${#plain[@]}" 2 "deployments after upgrading the unverified origin"
assert_eq "$(sed -n 's/^VERSION_ID=//p' "$w/r2/ostree/deploy/default/deploy/${plain[0]}/usr/lib/os-release")" u "the new deployment of the unverified origin"
assert_eq "$(sed -n 's/^container-image-reference=//p' "$w/r2/ostree/deploy/default/deploy/${plain[0]}.origin")" \
  "ostree-unverified-image:oci:$layout:plain" "the unverified origin, kept"
disk_release "$dev2"

log "passed in $((SECONDS - t0)) s"
