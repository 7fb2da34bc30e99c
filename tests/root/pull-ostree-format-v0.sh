#!/bin/bash
# Ostree-format images in ostree-ext's tar format v0 (its default before 0.9), made without
# berth and without ostree-ext (tests/lib/ostree-image.sh): a signed commit of a tree with
# xattrs (one value over 255 bytes, two files sharing one set, a long path), its objects taken
# from a `bare` repo and laid out as v0's export wrote them: `./` and the repo skeleton with
# sysroot/config, xattrs/SHA256 entries with REST.file.xattrs hardlinks to them before each
# .file (none for a file without xattrs), tree paths as hardlinks (`./` on long ones, usr/etc
# as etc), S_IFMT bits in the modes; GNU tar packs a commit layer and a chunk layer.
#
# Checks: `berth pull` imports the commit object for object (the .commit byte-identical to the
# source's, the tree equal, `ostree fsck` clean, every content checksum, which covers the
# xattrs, recomputed by libostree), a checkout has the xattrs, the signature verifies through
# ostree-remote-image:. Refused with no ref written: an xattrs/ name that is not 64 lower-case
# hex digits, xattrs/ bytes that do not hash to their name, a .file.xattrs linking to an
# xattrs/ entry the layer does not hold, a .file.xattrs that is a plain file, an xattrs/ entry
# that is a directory, one over 1 MiB, a file given another file's xattrs.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/ostree-image.sh
. "$BERTH_TOP/tests/lib/ostree-image.sh"
need_root
need_cmd ostree gpg tar gzip jq "$PYTHON3"
[ -x "$BERTH" ] || fail "$BERTH not built"

w=
mktemp_dir w
ostree_image_init "$w"
src=$OSTREE_IMAGE_SRC
layout=$OSTREE_IMAGE_LAYOUT
key=$(ostree_image_gen_key signer-v0)
[ -n "$key" ] || fail "gpg made no key"
gpg --batch --export "$key" >"$w/key.gpg"

setx () { "$PYTHON3" -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode(), follow_symlinks=False)' "$@"; }
getx () { "$PYTHON3" -c 'import os, sys; print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())' "$@"; }

# ---- the source commit --------------------------------------------------------------------

t=$w/tree
long=usr/share/a-directory-name-long-enough/to-make-the-tree-path/longer-than-one-hundred-bytes
mkdir -p "$t/usr/bin" "$t/usr/lib" "$t/usr/share/labels" "$t/usr/etc" "$t/usr/libexec/private" "$t/$long"
printf 'ID=berth-v0-test\n' >"$t/usr/lib/os-release"
printf '#!/bin/sh\necho hello\n' >"$t/usr/bin/hello"
chmod 4755 "$t/usr/bin/hello"
ln -s hello "$t/usr/bin/hi"
: >"$t/usr/lib/empty"
printf 'secret\n' >"$t/usr/libexec/private/key"
chmod 0600 "$t/usr/libexec/private/key"
chown 12:34 "$t/usr/libexec/private/key"
chmod 0700 "$t/usr/libexec/private"
printf 'tz\n' >"$t/usr/etc/timezone"
printf 'bin label\n' >"$t/usr/bin/labelled"
setx "$t/usr/bin/labelled" user.berth 1
# the same xattrs on files of both layers: each layer carries its own xattrs/ entry
printf 'one\n' >"$t/usr/share/labels/one"
printf 'two\n' >"$t/usr/share/labels/two"
setx "$t/usr/share/labels/one" user.berth 1
setx "$t/usr/share/labels/two" user.berth 1
# two xattrs, one over 255 bytes (2-byte GVariant offsets); names sorted z after b
printf 'multi\n' >"$t/usr/share/labels/multi"
setx "$t/usr/share/labels/multi" user.zeta "$(printf 'z%.0s' $(seq 300))"
setx "$t/usr/share/labels/multi" user.beta two
printf 'long\n' >"$t/$long/file-with-a-long-name.txt"
setx "$t/$long/file-with-a-long-name.txt" user.berth long
setx "$t/usr/etc/timezone" user.etc yes
c=$(ostree_image_commit test/v0 "$t" "$key")
log "commit $c"
ostree ls --repo="$src" -X "$c" /usr/share/labels/multi | grep -q "user.zeta" ||
  fail "the bare repo did not keep the xattrs: $(ostree ls --repo="$src" -X "$c" /usr/share/labels/multi)"

# layers: commit layer = commit, commitmeta, dirtrees, dirmetas, the content of usr/bin;
# chunk = the other content
ostree_image_object_files "$c" >"$w/all.list"
bin=$(ostree ls --repo="$src" -R -C "$c" /usr/bin | awk '$1 !~ /^d/ { print $5 ".file" }' |
  sed -E 's|^(..)(.*)$|sysroot/ostree/repo/objects/\1/\2|')
{ grep -v '\.file$' "$w/all.list"; printf '%s\n' "$bin"; } >"$w/commit.list"
grep '\.file$' "$w/all.list" | grep -vxF -f <(printf '%s\n' "$bin") >"$w/chunk.list"
ostree_image_v0_layer "$w/commit.tar.gz" "$c" "$w/commit.list" commit
ostree_image_v0_layer "$w/chunk.tar.gz" "$c" "$w/chunk.list" chunk
ostree_image_write v0 "$c" "ostree:$w/commit.tar.gz" "ostree:$w/chunk.tar.gz"

# the layers are v0 as its export wrote them (GNU tar's own listing)
tar -tvzf "$w/commit.tar.gz" >"$w/commit.tv"
tar -tvzf "$w/chunk.tar.gz" >"$w/chunk.tv"
head -n 1 "$w/commit.tv" | grep -q ' \./$' || fail "the commit layer does not open with ./"
grep -q ' sysroot/config$' "$w/commit.tv" || fail "no sysroot/config"
grep -qE 'sysroot/ostree/repo/objects/../.{62}\.file\.xattrs link to sysroot/ostree/repo/xattrs/[0-9a-f]{64}$' \
  "$w/chunk.tv" || fail "no .file.xattrs hardlink in the chunk"
assert_eq "$(grep -c '^-.* sysroot/ostree/repo/xattrs/[0-9a-f]\{64\}$' "$w/chunk.tv")" 4 \
  "xattrs/ entries of the chunk (labels/one+two share one; multi, long, timezone)"
grep -q " \./$long/file-with-a-long-name.txt link to " "$w/chunk.tv" || fail "no ./ on the long tree path"
grep -q ' etc/timezone link to ' "$w/chunk.tv" || fail "usr/etc not written as etc"
osr=$(ostree ls --repo="$src" -C "$c" /usr/lib/os-release | awk '{ print $5 }')
grep -q "/${osr:2}\.file\$" "$w/chunk.tv" || fail "os-release's object is not in the chunk"
if grep -q "${osr:2}\.file\.xattrs" "$w/chunk.tv"; then fail "a file without xattrs has an xattrs link"; fi
# the S_IFMT bits: GNU tar prints the type from the type flag, so read the raw mode field
gzip -dc "$w/commit.tar.gz" | "$PYTHON3" -c '
import sys
data = sys.stdin.buffer.read()
modes = {}
pos = 0
while pos + 512 <= len(data) and any(data[pos:pos + 512]):
    h = data[pos:pos + 512]
    size = int(h[124:136].split(b"\0")[0].strip() or b"0", 8)
    if h[156:157] not in (b"L", b"K"):
        modes.setdefault(h[156:157].decode(), set()).add(int(h[100:108].split(b"\0")[0], 8) >> 12)
    pos += 512 * (1 + (size + 511) // 512)
print(" ".join("%s:%s" % (k, ",".join("%o" % m for m in sorted(v))) for k, v in sorted(modes.items())))
' >"$w/modes"
# 0: 0644 metadata, xattrs/ and config (0), 0100xxx objects (10); 1: 0644 .file.xattrs (0),
# tree paths of both object types (10, 12); 2: 0120777 (12); 5: the repo's 0755 (0), the
# tree's 040xxx (4)
assert_eq "$(cat "$w/modes")" "0:0,10 1:0,10,12 2:12 5:0,4" "raw tar modes (type flag: S_IFMT >> 12)"

# ---- the pull ---------------------------------------------------------------------------------

dst=$w/dst
out=$("$BERTH" pull "oci:$layout:v0" --repo "$dst" 2>&1) || fail "pull of the v0 image failed: $out"
log "$out"
ostree fsck --repo="$dst" >"$w/fsck.log" 2>&1 || fail "ostree fsck after the pull: $(cat "$w/fsck.log")"
cmp "$src/objects/${c:0:2}/${c:2}.commit" "$dst/objects/${c:0:2}/${c:2}.commit" ||
  fail "the imported commit object differs from the source's"
[ -f "$dst/objects/${c:0:2}/${c:2}.commitmeta" ] || fail "the commit's signature was not kept"
diff <(ostree ls --repo="$src" -R -C -X "$c" /) <(ostree ls --repo="$dst" -R -C -X "$c" /) ||
  fail "the imported tree (checksums, xattrs) differs from the source's"
refs=$(ostree refs --repo="$dst" | sort)
assert_eq "$(grep -c '^ostree/container/blob/' <<<"$refs")" 2 "blob refs (one per layer)"
image_ref=$(grep '^ostree/container/image/' <<<"$refs") || fail "no image ref in: $refs"
merge=$(ostree rev-parse --repo="$dst" "$image_ref")
ostree ls --repo="$dst" "$merge" /usr/libexec/private/key | grep -q -- '-00600 12 34' ||
  fail "owner and mode of a content object lost"
ostree ls --repo="$dst" "$merge" /usr/bin/hello | grep -q -- '-04755 0 0' ||
  fail "the setuid bit of usr/bin/hello lost (the S_IFMT bits of the v0 mode)"

co=$w/checkout
ostree checkout --repo="$dst" "$merge" "$co"
assert_eq "$(getx "$co/usr/bin/labelled" user.berth)" 1 "xattr of a commit-layer file"
assert_eq "$(getx "$co/usr/share/labels/two" user.berth)" 1 "xattr of a chunk file"
assert_eq "$(getx "$co/usr/share/labels/multi" user.beta)" two "first of two xattrs"
assert_eq "$(getx "$co/usr/share/labels/multi" user.zeta | wc -c)" 301 "a 300-byte xattr"
assert_eq "$(getx "$co/$long/file-with-a-long-name.txt" user.berth)" long "xattr of the long path"
assert_eq "$(getx "$co/usr/etc/timezone" user.etc)" yes "xattr of usr/etc/timezone"
if getx "$co/usr/lib/os-release" user.berth >/dev/null 2>&1; then
  fail "a file without xattrs got some"
fi
log "v0: commit $c imported object for object, fsck clean, xattrs in the checkout"

# through a remote that holds the key: the signature verifies
repo=$w/signed
ostree init --repo="$repo" --mode=bare >/dev/null
ostree remote add --repo="$repo" --set=gpgkeypath="$w/key.gpg" signers https://berth.invalid/ >/dev/null
out=$("$BERTH" pull "ostree-remote-image:signers:oci:$layout:v0" --repo "$repo" 2>&1) ||
  fail "the v0 commit's signature did not verify: $out"
ostree refs --repo="$repo" | grep -q '^ostree/container/image/' || fail "no image ref after the verified pull"

# ---- hostile v0 chunks: refused, nothing referenced ---------------------------------------------

n=0
# refused TAG EXPECTED-TEXT CHUNK: an image of the good commit layer and CHUNK; its pull fails
# naming EXPECTED-TEXT and the fresh repository has no ostree/container/ ref
refused ()
{
  local tag=$1 want=$2 repo
  ostree_image_write "$tag" "$c" "ostree:$w/commit.tar.gz" "ostree:$3"
  n=$((n + 1))
  repo=$w/refused-$n
  if out=$("$BERTH" pull "oci:$layout:$tag" --repo "$repo" 2>&1); then
    fail "pull of $tag succeeded, expected: $want"
  fi
  assert_contains "$out" "$want" "error of $tag"
  if ostree refs --repo="$repo" 2>/dev/null | grep -q '^ostree/container/'; then
    fail "$tag: refs were written: $(ostree refs --repo="$repo")"
  fi
  log "refused $tag: $(tail -n 1 <<<"$out")"
}

good=$w/chunk.stage
xdir=sysroot/ostree/repo/xattrs
# the xattrs/ entry of labels/multi, and the .file.xattrs links to it
multi=$(ostree ls --repo="$src" -C "$c" /usr/share/labels/multi | awk '{ print $5 }')
multi_ref=sysroot/ostree/repo/objects/${multi:0:2}/${multi:2}.file.xattrs
multi_sha=
for f in "$good/$xdir"/*; do
  [ "$f" -ef "$good/$multi_ref" ] && multi_sha=${f##*/}
done
[ -f "$good/$xdir/$multi_sha" ] || fail "no xattrs/ entry for labels/multi in the chunk's stage"

# variant NAME: a copy of the good chunk's stage (hardlinks kept) to change
variant ()
{
  rm -rf "${w:?}/$1" && cp -a "$good" "$w/$1" && cp "$good.names" "$w/$1.names"
}

# an xattrs/ name of 63 hex digits
variant badname
mv "$w/badname/$xdir/$multi_sha" "$w/badname/$xdir/${multi_sha:1}"
sed -i "s|^$xdir/$multi_sha\$|$xdir/${multi_sha:1}|" "$w/badname.names"
ostree_image_v0_pack "$w/badname" "$w/badname.names" "$w/badname.tar.gz"
refused badname "not 64 lower-case hex digits after xattrs/" "$w/badname.tar.gz"

# xattrs/ bytes that are not those its name hashes (still a valid a(ayay): another file's)
variant mismatch
other=$(find "$w/mismatch/$xdir" -type f ! -name "$multi_sha" | head -n 1)
rm "$w/mismatch/$xdir/$multi_sha"
cp "$other" "$w/mismatch/$xdir/$multi_sha"
ln -f "$w/mismatch/$xdir/$multi_sha" "$w/mismatch/$multi_ref"
ostree_image_v0_pack "$w/mismatch" "$w/mismatch.names" "$w/mismatch.tar.gz"
refused mismatch "sysroot/ostree/repo/xattrs/$multi_sha\" does not match the checksum its name gives" \
  "$w/mismatch.tar.gz"

# a .file.xattrs link to an xattrs/ entry the layer does not hold (GNU tar deletes the member,
# the link stays)
gzip -dc "$w/chunk.tar.gz" >"$w/unheld.tar"
tar --delete -f "$w/unheld.tar" "$xdir/$multi_sha"
gzip -n "$w/unheld.tar"
refused unheld "which this layer has not held before" "$w/unheld.tar.gz"

# a .file.xattrs that is a file of its own
variant notlink
rm "$w/notlink/$multi_ref"
cp "$w/notlink/$xdir/$multi_sha" "$w/notlink/$multi_ref"
ostree_image_v0_pack "$w/notlink" "$w/notlink.names" "$w/notlink.tar.gz"
refused notlink "a v0 .file.xattrs that is not a hardlink" "$w/notlink.tar.gz"

# an xattrs/ entry that is a directory (the links then name it, but it comes first)
variant xdir
rm "$w/xdir/$xdir/$multi_sha" "$w/xdir/$multi_ref"
mkdir "$w/xdir/$xdir/$multi_sha"
grep -vxF "$multi_ref" "$w/xdir.names" >"$w/xdir.names2"
ostree_image_v0_pack "$w/xdir" "$w/xdir.names2" "$w/xdir.tar.gz"
refused xdir "a v0 xattrs entry that is not a regular file" "$w/xdir.tar.gz"

# an xattrs/ entry over 1 MiB, named by its own SHA-256
variant big
head -c $((1024 * 1024 + 1)) /dev/zero >"$w/big.bin"
big_sha=$(sha256sum "$w/big.bin" | cut -c1-64)
mv "$w/big.bin" "$w/big/$xdir/$big_sha"
sed -i "s|^$xdir/$multi_sha\$|&\n$xdir/$big_sha|" "$w/big.names"
ostree_image_v0_pack "$w/big" "$w/big.names" "$w/big.tar.gz"
refused big "1048577 bytes, more than the 1048576" "$w/big.tar.gz"

# labels/multi given the xattrs of labels/one: libostree's checksum covers them
variant swapped
one_ref=sysroot/ostree/repo/objects/$(ostree ls --repo="$src" -C "$c" /usr/share/labels/one |
  awk '{ print substr($5, 1, 2) "/" substr($5, 3) }').file.xattrs
ln -f "$w/swapped/$one_ref" "$w/swapped/$multi_ref"
# every xattrs/ entry first, so that the link comes after the one it now names
{ grep -v "^$xdir/" "$w/swapped.names" | sed -n '1,/^sysroot\/config$/p'
  grep "^$xdir/." "$w/swapped.names"
  grep -v "^$xdir/" "$w/swapped.names" | sed '1,/^sysroot\/config$/d'; } >"$w/swapped.names2"
ostree_image_v0_pack "$w/swapped" "$w/swapped.names2" "$w/swapped.tar.gz"
refused swapped "does not match the checksum its name gives" "$w/swapped.tar.gz"

log "all ostree-format v0 checks passed"
