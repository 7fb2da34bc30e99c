#!/bin/bash
# Ostree-format images (ostree-ext's tar format v1), made without berth and without ostree-ext:
# a tree committed with the `ostree` CLI into a `bare` repo, whose object files (as root, a
# bare repo's .file objects carry the content object's uid, gid and mode, exactly as the v1
# tar format wants them) GNU tar packs under sysroot/ostree/repo/ into a commit layer (the
# commit, its commitmeta, the dirtrees and dirmetas, some content) and a chunk layer (the
# other content objects), plus one ordinary derived layer; an OCI layout written by hand with
# the labels ostree-ext writes (ostree.commit, ostree.final-diffid, containers.bootc).
#
# Checks: `berth pull` imports the commit object for object (its checksum equals the label's,
# the .commit file is byte-identical to the source's, `ostree fsck` is clean), keeps the
# signature, merges the derived layer (etc -> usr/etc), writes a blob ref per layer and the
# image ref; a second version with one changed file fetches the commit layer and that chunk
# only. Refused with nothing referenced: a tampered content object, a dirtree in a chunk layer,
# a commit naming an object that never arrives, a label naming another commit, a path that is
# not an object's, a hardlink out of the repo; and through ostree-remote-image: an unsigned
# commit, one signed by another key, a tampered commitmeta, a missing remote, a plain image.
# Files with xattrs are not covered: a bare repo keeps them as real xattrs, and Debian's
# ostree 2022.7 cannot write a bare-split-xattrs repo (`ostree commit`: "Not allowed due to
# repo mode"), so no independent tool here makes .file-xattrs objects. (Format v0's xattrs,
# which tests/lib/ostree-image.sh writes itself, are pull-ostree-format-v0.sh's.)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/ostree-image.sh
. "$BERTH_TOP/tests/lib/ostree-image.sh"
need_root
need_cmd ostree gpg tar gzip jq
[ -x "$BERTH" ] || fail "$BERTH not built"

w=
mktemp_dir w
ostree_image_init "$w"
src=$OSTREE_IMAGE_SRC
layout=$OSTREE_IMAGE_LAYOUT

# two keys: the image's, and another one
key_a=$(ostree_image_gen_key signer-a)
key_b=$(ostree_image_gen_key signer-b)
if [ -z "$key_a" ] || [ -z "$key_b" ]; then fail "gpg made no keys"; fi
gpg --batch --export "$key_a" >"$w/key-a.gpg"
gpg --batch --export "$key_b" >"$w/key-b.gpg"
log "keys: a=$key_a b=$key_b"

# ---- the source commit --------------------------------------------------------------------

make_tree ()
{
  local t=$1 version=$2
  rm -rf "$t"
  mkdir -p "$t/usr/bin" "$t/usr/lib" "$t/usr/share/big" "$t/usr/etc" "$t/usr/libexec/private"
  printf 'ID=berth-ostree-test\nVERSION_ID=%s\n' "$version" >"$t/usr/lib/os-release"
  printf '#!/bin/sh\necho hello\n' >"$t/usr/bin/hello"
  chmod 0755 "$t/usr/bin/hello"
  ln -s hello "$t/usr/bin/hi"
  ln -s ../../etc/absolute "$t/usr/lib/up-link"
  cp "$w/blob.bin" "$t/usr/share/big/blob.bin" # larger than one write buffer
  printf 'same\n' >"$t/usr/share/big/a.txt"
  printf 'same\n' >"$t/usr/share/big/b.txt" # one object, two paths
  printf 'secret\n' >"$t/usr/libexec/private/key"
  chmod 0600 "$t/usr/libexec/private/key"
  chown 12:34 "$t/usr/libexec/private/key"
  chmod 4755 "$t/usr/bin/hello"
  chmod 0700 "$t/usr/libexec/private"
  printf 'tz\n' >"$t/usr/etc/timezone"
}

head -c 300000 /dev/urandom >"$w/blob.bin"
commit_version ()
{
  make_tree "$w/tree" "$1"
  ostree_image_commit "test/$1" "$w/tree" "$key_a"
}
c1=$(commit_version 1)
c2=$(commit_version 2)
log "commits: v1 $c1, v2 $c2"

# the layers of a commit: commit layer = commit, commitmeta, dirtrees, dirmetas and the
# content of usr/bin; chunk = all other content (v1 and v2 differ only in os-release, in usr/lib)
split_layers ()
{
  local c=$1 prefix=$2
  ostree_image_object_files "$c" >"$w/all.list"
  grep -v '\.file$' "$w/all.list" >"$w/$prefix-commit.list"
  local bin_objs
  bin_objs=$(ostree ls --repo="$src" -R -C "$c" /usr/bin | awk '$1 !~ /^d/ { print $5 ".file" }' |
    sed -E 's|^(..)(.*)$|sysroot/ostree/repo/objects/\1/\2|')
  printf '%s\n' "$bin_objs" >>"$w/$prefix-commit.list"
  grep '\.file$' "$w/all.list" | grep -vxF -f <(printf '%s\n' "$bin_objs") >"$w/$prefix-chunk-lib.list"
  # the chunk of usr/lib (os-release changes between versions) and the rest
  local lib_objs
  lib_objs=$(ostree ls --repo="$src" -R -C "$c" /usr/lib | awk '$1 !~ /^d/ { print $5 ".file" }' |
    sed -E 's|^(..)(.*)$|sysroot/ostree/repo/objects/\1/\2|')
  grep -vxF -f <(printf '%s\n' "$lib_objs") "$w/$prefix-chunk-lib.list" >"$w/$prefix-chunk-rest.list" || true
  grep -xF -f <(printf '%s\n' "$lib_objs") "$w/$prefix-chunk-lib.list" >"$w/$prefix-chunk-lib.list.tmp" || true
  mv "$w/$prefix-chunk-lib.list.tmp" "$w/$prefix-chunk-lib.list"
  # the repo's directories first, as an exporter writes them
  { printf 'sysroot\nsysroot/ostree\nsysroot/ostree/repo\nsysroot/ostree/repo/objects\n'
    sed -E 's|^(sysroot/ostree/repo/objects/..)/.*|\1|' "$w/$prefix-commit.list" | sort -u
    cat "$w/$prefix-commit.list"; } >"$w/$prefix-commit.full"
  mv "$w/$prefix-commit.full" "$w/$prefix-commit.list"
}

# the derived layer: an ordinary tar, with /etc written as /etc
mkdir -p "$w/derived/etc" "$w/derived/usr/share/derived"
printf 'derived\n' >"$w/derived/usr/share/derived/file.txt"
printf 'from the derived layer\n' >"$w/derived/etc/derived.conf"
printf 'etc\netc/derived.conf\nusr\nusr/share\nusr/share/derived\nusr/share/derived/file.txt\n' >"$w/derived.list"
ostree_image_tar_layer "$w/derived.tar.gz" "$w/derived.list" "$w/derived"
cp "$w/derived.tar.gz" "$w/derived2.tar.gz"

for v in 1 2; do
  c=$c1
  [ "$v" = 2 ] && c=$c2
  split_layers "$c" "v$v"
  for part in commit chunk-lib chunk-rest; do
    ostree_image_tar_layer "$w/v$v-$part.tar.gz" "$w/v$v-$part.list"
  done
done
ostree_image_write v1 "$c1" "ostree:$w/v1-commit.tar.gz" "ostree:$w/v1-chunk-lib.tar.gz" \
  "ostree:$w/v1-chunk-rest.tar.gz" "derived:$w/derived.tar.gz"
ostree_image_write v2 "$c2" "ostree:$w/v2-commit.tar.gz" "ostree:$w/v2-chunk-lib.tar.gz" \
  "ostree:$w/v2-chunk-rest.tar.gz" "derived:$w/derived2.tar.gz"

# ---- pull v1 ------------------------------------------------------------------------------------

dst=$w/dst
out=$("$BERTH" pull "oci:$layout:v1" --repo "$dst" 2>&1) || fail "pull of v1 failed: $out"
log "$out"
ostree fsck --repo="$dst" >"$w/fsck.log" 2>&1 || fail "ostree fsck after the pull: $(cat "$w/fsck.log")"
cmp "$src/objects/${c1:0:2}/${c1:2}.commit" "$dst/objects/${c1:0:2}/${c1:2}.commit" ||
  fail "the imported commit object differs from the source's"
[ -f "$dst/objects/${c1:0:2}/${c1:2}.commitmeta" ] || fail "the commit's signature was not kept"
diff <(ostree ls --repo="$src" -R -C "$c1" /) <(ostree ls --repo="$dst" -R -C "$c1" /) ||
  fail "the imported tree differs from the source's"

refs=$(ostree refs --repo="$dst" | sort)
assert_eq "$(grep -c '^ostree/container/blob/' <<<"$refs")" 4 "blob refs (one per layer)"
image_ref=$(grep '^ostree/container/image/' <<<"$refs") || fail "no image ref in: $refs"
merge=$(ostree rev-parse --repo="$dst" "$image_ref")
ostree cat --repo="$dst" "$merge" /usr/etc/derived.conf | grep -q 'from the derived layer' ||
  fail "the derived layer's /etc/derived.conf is not at usr/etc in the merge"
ostree cat --repo="$dst" "$merge" /usr/share/derived/file.txt | grep -q derived ||
  fail "the derived layer's file is not in the merge"
ostree cat --repo="$dst" "$merge" /usr/lib/os-release | grep -q VERSION_ID=1 ||
  fail "the base commit's os-release is not in the merge"
ostree ls --repo="$dst" "$merge" /usr/libexec/private/key | grep -q -- '-00600 12 34' ||
  fail "owner and mode of a content object lost: $(ostree ls --repo="$dst" "$merge" /usr/libexec/private/key)"
ostree show --repo="$dst" --print-metadata-key=ostree.manifest-digest "$merge" | grep -q sha256: ||
  fail "the merge commit has no ostree.manifest-digest"
log "v1: commit $c1 imported object for object, fsck clean, merge $merge"

# ---- v2 fetches only what changed ---------------------------------------------------------------

out=$("$BERTH" pull "oci:$layout:v2" --repo "$dst" 2>&1) || fail "pull of v2 failed: $out"
log "$out"
reused=$(grep -c 'already in the repository' <<<"$out" || true)
assert_eq "$reused" 2 "v2 layers reused (the unchanged chunk and the derived layer)"
grep -q "layer 2/4 .*fetched" <<<"$out" || fail "v2's changed chunk (usr/lib) was not fetched: $out"
grep -q "layer 3/4 .*already in the repository" <<<"$out" || fail "v2's unchanged chunk was fetched: $out"
ostree fsck --repo="$dst" >"$w/fsck.log" 2>&1 || fail "ostree fsck after v2: $(cat "$w/fsck.log")"

# ---- hostile layers: refused, nothing referenced ------------------------------------------------

# refused_pull TAG EXPECTED-TEXT [REFERENCE-PREFIX]: the pull fails naming EXPECTED-TEXT and
# the fresh repository has no ref at all
n=0
refused_pull ()
{
  local tag=$1 want=$2 ref=${3:-oci:} repo
  n=$((n + 1))
  repo=$w/refused-$n
  if out=$("$BERTH" pull "$ref$layout:$tag" --repo "$repo" 2>&1); then
    fail "pull of $tag succeeded, expected: $want"
  fi
  assert_contains "$out" "$want" "error of $tag"
  [ -z "$(ostree refs --repo="$repo" 2>/dev/null)" ] || fail "$tag: refs were written: $(ostree refs --repo="$repo")"
  log "refused $tag: $(tail -n 1 <<<"$out")"
}

# a content object with other bytes under its name
mkdir -p "$w/evil"
cp -a "$w/src/sysroot" "$w/evil/"
evil_obj=$(grep -m1 '\.file$' "$w/v1-chunk-rest.list")
printf 'tampered' | dd of="$w/evil/$evil_obj" conv=notrunc status=none
ostree_image_tar_layer "$w/evil-chunk.tar.gz" "$w/v1-chunk-rest.list" "$w/evil"
ostree_image_write tampered "$c1" "ostree:$w/v1-commit.tar.gz" "ostree:$w/v1-chunk-lib.tar.gz" "ostree:$w/evil-chunk.tar.gz"
refused_pull tampered "does not match the checksum its name gives"

# a dirtree in a chunk layer
cp "$w/v1-chunk-rest.list" "$w/meta-in-chunk.list"
grep -m1 '\.dirtree$' "$w/v1-commit.list" >>"$w/meta-in-chunk.list"
ostree_image_tar_layer "$w/meta-in-chunk.tar.gz" "$w/meta-in-chunk.list"

ostree_image_write meta-in-chunk "$c1" "ostree:$w/v1-commit.tar.gz" "ostree:$w/v1-chunk-lib.tar.gz" "ostree:$w/meta-in-chunk.tar.gz"
refused_pull meta-in-chunk "only the commit layer (the first) carries"

# a content object that never arrives
sed 1d "$w/v1-chunk-rest.list" >"$w/missing.list"
ostree_image_tar_layer "$w/missing.tar.gz" "$w/missing.list"

ostree_image_write missing "$c1" "ostree:$w/v1-commit.tar.gz" "ostree:$w/v1-chunk-lib.tar.gz" "ostree:$w/missing.tar.gz"
refused_pull missing "which none of its layers carries"

# the label names another commit

ostree_image_write wrong-label "$c2" "ostree:$w/v1-commit.tar.gz" "ostree:$w/v1-chunk-lib.tar.gz" "ostree:$w/v1-chunk-rest.tar.gz"
refused_pull wrong-label "label ostree.commit says $c2"

# a path that is not an object's, and a hardlink out of the repo
mkdir -p "$w/odd/sysroot/ostree/repo/objects/ab" "$w/odd/usr"
printf x >"$w/odd/sysroot/ostree/repo/objects/ab/short.file"
printf 'sysroot/ostree/repo/objects/ab/short.file\n' >"$w/odd.list"
ostree_image_tar_layer "$w/odd.tar.gz" "$w/odd.list" "$w/odd"

ostree_image_write odd-path "$c1" "ostree:$w/v1-commit.tar.gz" "ostree:$w/odd.tar.gz"
refused_pull odd-path "62 hex digits"
# (an empty tree file is allowed, as the exporter writes empty files; a hardlink to it is not)
: >"$w/odd/etc-passwd"
(cd "$w/odd" && ln etc-passwd usr/passwd)
printf 'etc-passwd\nusr/passwd\n' >"$w/link.list"
ostree_image_tar_layer "$w/link.tar.gz" "$w/link.list" "$w/odd"

ostree_image_write hardlink-out "$c1" "ostree:$w/v1-commit.tar.gz" "ostree:$w/link.tar.gz"
refused_pull hardlink-out "a hardlink to \"etc-passwd\", outside the ostree repository"

# ---- signatures through ostree-remote-image: ----------------------------------------------------

# remote_repo NAME KEYFILE: a fresh repository with ostree remote NAME trusting KEYFILE
remote_repo ()
{
  local repo
  repo=$(mktemp -d "$w/sig.XXXXXX")
  ostree init --repo="$repo" --mode=bare >/dev/null
  ostree remote add --repo="$repo" --set=gpgkeypath="$2" "$1" https://berth.invalid/ >/dev/null
  printf '%s\n' "$repo"
}

repo=$(remote_repo signers "$w/key-a.gpg")
out=$("$BERTH" pull "ostree-remote-image:signers:oci:$layout:v1" --repo "$repo" 2>&1) ||
  fail "a commit signed by key a did not verify with key a: $out"
ostree refs --repo="$repo" | grep -q '^ostree/container/image/' || fail "no image ref after the verified pull"
log "verified pull with key a: ok"

repo=$(remote_repo signers "$w/key-b.gpg")
if out=$("$BERTH" pull "ostree-remote-image:signers:oci:$layout:v1" --repo "$repo" 2>&1); then
  fail "a commit signed by key a verified with key b"
fi
assert_contains "$out" 'does not verify with the keys of ostree remote "signers"' "wrong key"
assert_contains "$out" "${key_a: -16}" "the key id found"
[ -z "$(ostree refs --repo="$repo")" ] || fail "wrong key: refs were written"

repo=$(remote_repo signers "$w/key-a.gpg")
if out=$("$BERTH" pull "ostree-remote-image:nosuch:oci:$layout:v1" --repo "$repo" 2>&1); then
  fail "a pull through a missing remote succeeded"
fi
assert_contains "$out" 'ostree remote "nosuch", which the repository does not have' "missing remote"

# unsigned: v1's layers without the commitmeta
grep -v '\.commitmeta$' "$w/v1-commit.list" >"$w/unsigned.list"
ostree_image_tar_layer "$w/unsigned.tar.gz" "$w/unsigned.list"

ostree_image_write unsigned "$c1" "ostree:$w/unsigned.tar.gz" "ostree:$w/v1-chunk-lib.tar.gz" "ostree:$w/v1-chunk-rest.tar.gz"
repo=$(remote_repo signers "$w/key-a.gpg")
if out=$("$BERTH" pull "ostree-remote-image:signers:oci:$layout:unsigned" --repo "$repo" 2>&1); then
  fail "an unsigned commit passed the signature check"
fi
assert_contains "$out" "is not signed" "unsigned"
[ -z "$(ostree refs --repo="$repo")" ] || fail "unsigned: refs were written"
"$BERTH" pull "oci:$layout:unsigned" --repo "$w/unsigned-repo" >/dev/null 2>&1 ||
  fail "the unsigned image did not pull without a remote"

# a tampered commitmeta (one byte of the signature changed)
mkdir -p "$w/tm"
cp -a "$w/src/sysroot" "$w/tm/"
meta=$w/tm/sysroot/ostree/repo/objects/${c1:0:2}/${c1:2}.commitmeta
size=$(stat -c %s "$meta")
printf '\x55' | dd of="$meta" bs=1 seek=$((size / 2)) conv=notrunc status=none
ostree_image_tar_layer "$w/tm.tar.gz" "$w/v1-commit.list" "$w/tm"

ostree_image_write tampered-meta "$c1" "ostree:$w/tm.tar.gz" "ostree:$w/v1-chunk-lib.tar.gz" "ostree:$w/v1-chunk-rest.tar.gz"
repo=$(remote_repo signers "$w/key-a.gpg")
if out=$("$BERTH" pull "ostree-remote-image:signers:oci:$layout:tampered-meta" --repo "$repo" 2>&1); then
  fail "a tampered commitmeta passed the signature check"
fi
assert_contains "$out" "signature does not verify" "tampered commitmeta"
[ -z "$(ostree refs --repo="$repo")" ] || fail "tampered commitmeta: refs were written"

# a plain image through a remote
plain=$("$BERTH_TOP/images/test-image" 2>/dev/null | tail -n 1) || plain=
if [ -n "$plain" ] && [ -f "$plain/index.json" ]; then
  repo=$(remote_repo signers "$w/key-a.gpg")
  if out=$("$BERTH" pull "ostree-remote-image:signers:oci:$plain:tiny" --repo "$repo" 2>&1); then
    fail "a plain image pulled through an ostree remote"
  fi
  assert_contains "$out" "is not in the ostree format" "plain image with a remote"
fi

log "all ostree-format checks passed"
