#!/bin/bash
# berth image encapsulate: a signed commit (made with the ostree CLI in a bare repo, with an
# xattr, a setuid file, an empty file, two paths of one object, a symlink with a `//` target, a
# long path, usr/etc) becomes an ostree-format image of several chunks.
#
# Checks: ostree-ext's labels and annotations (ostree.commit, ostree.final-diffid = the last
# layer's diff_id, ostree.bootable, containers.bootc, version, per-chunk ostree.components);
# the same commit gives the same blobs; `berth pull` imports it object for object (the .commit
# byte-identical, `ostree fsck` clean, the signature verifies through an ostree remote), for
# gzip and zstd. Independent of berth's reader: GNU tar extracts the ostree layers into one
# directory, their objects go into a bare repo that `ostree fsck` finds clean and whose
# checkout equals the source's, and whose signature `ostree show --gpg-verify-remote`
# verifies. A second commit changing one file changes layer 0 and one chunk only, and a pull
# fetches just those. Refused: an unknown REV, a bad --label, too many layers, an ostree-
# prefix on DEST.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd ostree gpg tar jq python3 zstd
[ -x "$BERTH" ] || fail "$BERTH not built"

w=
mktemp_dir w
export GNUPGHOME=$w/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
  --quick-gen-key "enc <enc@berth.test>" ed25519 sign never 2>/dev/null
key=$(gpg --batch --with-colons --list-keys enc@berth.test | awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$key" ] || fail "gpg made no key"
gpg --batch --export "$key" >"$w/key.gpg"

# ---- the source commits -------------------------------------------------------------------

make_tree ()
{
  local t=$1 version=$2
  rm -rf "$t"
  mkdir -p "$t/usr/bin" "$t/usr/lib/modules" "$t/usr/share/doc" "$t/usr/etc" "$t/usr/libexec"
  printf 'ID=berth-enc-test\nVERSION_ID=%s\n' "$version" >"$t/usr/lib/os-release"
  printf '#!/bin/sh\necho hello %s\n' "$version" >"$t/usr/bin/hello"
  chmod 4755 "$t/usr/bin/hello"
  ln -s ../../etc//doubled "$t/usr/bin/denormal"
  : >"$t/usr/lib/empty"
  head -c 200000 "$w/random" >"$t/usr/lib/modules/big.ko"
  printf 'same\n' >"$t/usr/share/doc/a"
  printf 'same\n' >"$t/usr/etc/b"
  local long=$t/usr/share/doc/a-directory-name-long-enough/to-make-the-path/longer-than-one-hundred-bytes
  mkdir -p "$long"
  printf 'long\n' >"$long/file-with-a-long-name.txt"
  printf 'x\n' >"$t/usr/libexec/labelled"
  python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.berth", b"hello")' "$t/usr/libexec/labelled"
}
head -c 200000 /dev/urandom >"$w/random"
src=$w/src
ostree init --repo="$src" --mode=bare
commit_version ()
{
  make_tree "$w/tree" "$1"
  ostree commit --repo="$src" --branch="test/$1" --tree=dir="$w/tree" \
    --subject="berth encapsulate test $1" --timestamp=2026-01-01T00:00:00Z \
    --add-metadata=ostree.bootable=true --add-metadata-string=version="$1.0" \
    --gpg-sign="$key" --gpg-homedir="$GNUPGHOME" >/dev/null
  ostree rev-parse --repo="$src" "test/$1"
}
c1=$(commit_version 1)
c2=$(commit_version 2)
log "commits: v1 $c1, v2 $c2"

# ---- encapsulate v1 --------------------------------------------------------------------------

layout=$w/layout
out=$("$BERTH" image encapsulate --repo "$src" test/1 "oci:$layout:v1" --max-layers 6 \
  --label org.example.extra=yes --json) || fail "encapsulate failed: $out"
assert_eq "$(jq -r .commit <<<"$out")" "$c1" "encapsulated commit"
assert_eq "$(jq -r .signed <<<"$out")" true "the signature went into the image"
manifest_of () { local d; d=$(jq -r --arg t "$1" '.manifests[] | select(.annotations."org.opencontainers.image.ref.name" == $t) | .digest' "$layout/index.json"); printf '%s\n' "$layout/blobs/sha256/${d#sha256:}"; }
m1=$(manifest_of v1)
cfg=$layout/blobs/sha256/$(jq -r '.config.digest' "$m1" | cut -d: -f2)
n=$(jq '.layers | length' "$m1")
log "v1: $n layers"
[ "$n" -ge 3 ] || fail "only $n layers for 6 asked and 6 components"
assert_eq "$(jq -r '.config.Labels."ostree.commit"' "$cfg")" "$c1" "ostree.commit label"
assert_eq "$(jq -r '.config.Labels."ostree.final-diffid"' "$cfg")" "$(jq -r '.rootfs.diff_ids[-1]' "$cfg")" \
  "final-diffid names the last layer"
assert_eq "$(jq -r '.config.Labels."containers.bootc"' "$cfg")" 1 "containers.bootc"
assert_eq "$(jq -r '.config.Labels."ostree.bootable"' "$cfg")" true "ostree.bootable"
assert_eq "$(jq -r '.config.Labels."org.opencontainers.image.version"' "$cfg")" 1.0 "version"
assert_eq "$(jq -r '.config.Labels."org.example.extra"' "$cfg")" yes "--label"
assert_eq "$(jq -c .annotations "$m1")" "$(jq -c .config.Labels "$cfg")" "manifest annotations = labels"
assert_eq "$(jq -r '.created' "$cfg")" 2026-01-01T00:00:00Z "created = the commit's timestamp"
assert_eq "$(jq '[.layers[1:][] | select(.annotations."ostree.components" == null)] | length' "$m1")" 0 \
  "every chunk names its components"
[ "$(jq '.layers[0].annotations' "$m1")" = null ] || fail "layer 0 has annotations"
blob () { printf '%s\n' "$layout/blobs/sha256/$(jq -r ".layers[$2].digest" "$1" | cut -d: -f2)"; }
tar -tzf "$(blob "$m1" 0)" >"$w/layer0.list"
grep -qx "sysroot/ostree/repo/objects/${c1:0:2}/${c1:2}.commit" "$w/layer0.list" || fail "no .commit in layer 0"
grep -qx "sysroot/ostree/repo/objects/${c1:0:2}/${c1:2}.commitmeta" "$w/layer0.list" || fail "no .commitmeta in layer 0"
grep -q '\.file$' "$w/layer0.list" && fail "content in layer 0 of a chunked image"
for i in $(seq 1 $((n - 1))); do
  tar -tzf "$(blob "$m1" "$i")" | grep -qE '\.(commit|dirtree|dirmeta)$' && fail "metadata in chunk $i"
done

# deterministic: the same commit, the same image
again=$("$BERTH" image encapsulate --repo "$src" test/1 "oci:$w/again:v1" --max-layers 6 \
  --label org.example.extra=yes --json) || fail "second encapsulate failed"
assert_eq "$(jq -r .manifest_digest <<<"$again")" "$(jq -r .manifest_digest <<<"$out")" "same commit, same manifest"

# ---- berth pull: object for object, signature verified -----------------------------------------

dst=$w/dst
ostree init --repo="$dst" --mode=bare >/dev/null
ostree remote add --repo="$dst" --set=gpgkeypath="$w/key.gpg" enc https://berth.invalid/ >/dev/null
"$BERTH" pull "ostree-remote-image:enc:oci:$layout:v1" --repo "$dst" >"$w/pull1.log" 2>&1 ||
  fail "pull with signature check failed: $(cat "$w/pull1.log")"
cmp "$src/objects/${c1:0:2}/${c1:2}.commit" "$dst/objects/${c1:0:2}/${c1:2}.commit" ||
  fail "the imported commit differs from the source's"
ostree fsck --repo="$dst" >"$w/fsck.log" 2>&1 || fail "ostree fsck: $(cat "$w/fsck.log")"
ostree checkout --repo="$dst" -U "$c1" "$w/co-berth"
ostree checkout --repo="$src" -U "$c1" "$w/co-src"
diff -r --no-dereference "$w/co-src" "$w/co-berth" || fail "berth's checkout differs from the source's"

# zstd
"$BERTH" image encapsulate --repo "$src" test/1 "oci:$w/zstd:v1" --max-layers 3 --compression zstd \
  >/dev/null || fail "zstd encapsulate failed"
mz=$w/zstd/blobs/sha256/$(jq -r '.manifests[0].digest' "$w/zstd/index.json" | cut -d: -f2)
assert_eq "$(jq -r '.layers[0].mediaType' "$mz")" application/vnd.oci.image.layer.v1.tar+zstd "zstd media type"
"$BERTH" pull "oci:$w/zstd:v1" --repo "$w/dst-zstd" >/dev/null 2>&1 || fail "zstd pull failed"
ostree fsck --repo="$w/dst-zstd" >/dev/null 2>&1 || fail "ostree fsck of the zstd import"

# oci-archive: through a temporary layout, then berth_image_write
mkdir "$w/tmp"
TMPDIR=$w/tmp "$BERTH" image encapsulate --repo "$src" test/1 "oci-archive:$w/v1.tar" --max-layers 6 \
  --label org.example.extra=yes >/dev/null || fail "encapsulate to oci-archive: failed"
tar -tf "$w/v1.tar" | grep -qx index.json || fail "the archive has no index.json"
"$BERTH" pull "oci-archive:$w/v1.tar" --repo "$w/dst-archive" >/dev/null 2>&1 || fail "pull of the archive failed"
assert_eq "$(ostree rev-parse --repo="$w/dst-archive" "ostree/container/blob/$(jq -r '.layers[0].digest' "$m1" | sed 's/:/_3A_/')")" \
  "$c1" "the archive's layer 0 is the commit"
[ -z "$(find "$w/tmp" -mindepth 1)" ] || fail "a temporary layout was left behind: $(find "$w/tmp")"

# ---- independent of berth's reader: GNU tar and ostree's own tools -------------------------

x=$w/extract
mkdir -p "$x"
for i in $(seq 0 $((n - 1))); do
  tar -xzf "$(blob "$m1" "$i")" -C "$x" --same-owner --preserve-permissions --xattrs 2>"$w/tar.err" ||
    fail "GNU tar cannot extract layer $i: $(cat "$w/tar.err")"
done
grep -qx 'mode=bare-split-xattrs' "$x/sysroot/ostree/repo/config" || fail "the layer's repo config"
# A bare repo keeps xattrs as real xattrs: give each object those its .file-xattrs hold.
bare=$w/bare
ostree init --repo="$bare" --mode=bare >/dev/null
(cd "$x/sysroot/ostree/repo/objects" && find . -name '*.commit' -o -name '*.commitmeta' \
  -o -name '*.dirtree' -o -name '*.dirmeta' -o -name '*.file') | while read -r o; do
  mkdir -p "$bare/objects/$(dirname "$o")"
  cp -a "$x/sysroot/ostree/repo/objects/$o" "$bare/objects/$o"
done
python3 - "$x/sysroot/ostree/repo/objects" "$bare/objects" <<'EOF'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
n = 0
for d in os.listdir(src):
    for f in os.listdir(os.path.join(src, d)):
        if not f.endswith(".file-xattrs-link"):
            continue
        data = open(os.path.join(src, d, f), "rb").read()
        # a(ayay), GVariant: each element (ay name NUL-terminated, ay value) with framing;
        # the test's only xattr is user.berth=hello, so find it literally
        if b"user.berth\0" in data:
            obj = os.path.join(dst, d, f[: -len("-xattrs-link")])
            os.setxattr(obj, "user.berth", b"hello", follow_symlinks=False)
            n += 1
print(n)
EOF
ostree fsck --repo="$bare" >"$w/bare-fsck.log" 2>&1 || fail "ostree fsck of the GNU tar extraction: $(cat "$w/bare-fsck.log")"
ostree checkout --repo="$bare" -U "$c1" "$w/co-bare"
diff -r --no-dereference "$w/co-src" "$w/co-bare" || fail "the GNU tar extraction's checkout differs"
ostree remote add --repo="$bare" --set=gpgkeypath="$w/key.gpg" enc https://berth.invalid/ >/dev/null
ostree show --repo="$bare" --gpg-verify-remote=enc "$c1" >"$w/show.log" 2>&1 ||
  fail "ostree does not verify the extracted commit's signature: $(cat "$w/show.log")"
grep -q "Good signature" "$w/show.log" || fail "no good signature: $(cat "$w/show.log")"

# ---- v2: one changed file, one changed chunk ---------------------------------------------------

"$BERTH" image encapsulate --repo "$src" test/2 "oci:$layout:v2" --max-layers 6 \
  --label org.example.extra=yes >/dev/null || fail "encapsulate v2 failed"
m2=$(manifest_of v2)
changed=$(diff <(jq -r '.layers[].digest' "$m1") <(jq -r '.layers[].digest' "$m2") | grep -c '^>') || true
# v1 and v2 differ in usr/bin/hello and usr/lib/os-release: layer 0 and at most two chunks
if [ "$changed" -lt 2 ] || [ "$changed" -gt 3 ]; then fail "v2 changed $changed layers"; fi
assert_eq "$(jq '.layers | length' "$m2")" "$n" "v2 has v1's layers"
"$BERTH" pull "oci:$layout:v2" --repo "$dst" >"$w/pull2.log" 2>&1 || fail "pull v2: $(cat "$w/pull2.log")"
reused=$(grep -c "already in the repository" "$w/pull2.log") || true
assert_eq "$reused" $((n - changed)) "v2 layers reused"
ostree fsck --repo="$dst" >/dev/null 2>&1 || fail "ostree fsck after v2"

# ---- refusals ---------------------------------------------------------------------------------

if out=$("$BERTH" image encapsulate --repo "$src" no/such/ref "oci:$w/bad:x" 2>&1); then fail "an unknown REV was accepted"; fi
assert_contains "$out" "no/such/ref" "unknown REV named"
[ ! -e "$w/bad" ] || fail "an unknown REV left a layout behind"
if out=$("$BERTH" image encapsulate --repo "$src" test/1 "oci:$w/bad:x" --label novalue 2>&1); then fail "a bad --label was accepted"; fi
assert_contains "$out" "KEY=VALUE" "bad --label"
if out=$("$BERTH" image encapsulate --repo "$src" test/1 "oci:$w/bad:x" --max-layers 500 2>&1); then fail "--max-layers 500 was accepted"; fi
if out=$("$BERTH" image encapsulate --repo "$src" test/1 "ostree-remote-image:r:oci:$w/bad:x" 2>&1); then fail "an ostree- DEST was accepted"; fi
assert_contains "$out" "signature prefix" "ostree- DEST"
log passed
