#!/bin/bash
# The test OS image (images/test-image: tags v1 and v1-zstd) imported by `berth pull` into a
# bare repo, checked out with `ostree checkout`, and compared file by file with the same image
# unpacked by umoci: type, content, mode (setuid/setgid/sticky included), uid/gid, symlink
# targets and xattrs. Debian's umoci (0.4.7) cannot read zstd layers, so v1-zstd is compared
# with the unpack of v1, after checking that both tags have the same config (so the same
# diff_ids: the same uncompressed tars). Expected differences, applied to umoci's tree before comparing: /etc is
# at /usr/etc, children of run, tmp, proc, sys and dev are dropped, and so are device nodes,
# FIFOs and sockets anywhere. Also checks the repo state bootc reads (refs, merge commit
# metadata), that checking the layer commits out the way bootc merges them on an upgrade gives
# the same tree, that gzip and zstd give the same tree, and that a re-pull writes nothing. Logs the
# import's time and peak RSS (DESIGN: peak RSS under 64 MiB for this image).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd umoci ostree jq
[ -x "$BERTH" ] || fail "$BERTH not built"
"$BERTH" help 2>&1 | grep -q '^  pull ' || skip "berth pull not yet available"
[ -x /usr/bin/time ] || skip "needs /usr/bin/time (run: make deps)"

layout=${BERTH_TEST_IMAGE:-}
if [ -z "$layout" ]; then
  layout=$("$BERTH_TOP/images/test-image" | tail -n 1) || fail "images/test-image failed"
fi
[ -f "$layout/index.json" ] || fail "no OCI layout at '$layout'"

tmp=
mktemp_dir tmp

# tree_listing DIR OUT: one line per path (sorted): path, type, mode, uid, gid, then the
# content's sha256, the symlink target or nothing, then the xattrs (name=hex, sorted).
tree_listing ()
{
  "$PYTHON3" - "$1" >"$2" <<'EOF'
import hashlib, os, stat, sys
root = sys.argv[1]
def xattrs(p):
    try:
        names = sorted(os.listxattr(p, follow_symlinks=False))
    except OSError:
        return ""
    return ",".join("%s=%s" % (n, os.getxattr(p, n, follow_symlinks=False).hex()) for n in names)
out = []
for dirpath, dirnames, filenames in os.walk(root):
    for name in dirnames + filenames + ([] if dirpath != root else [""]):
        p = os.path.join(dirpath, name) if name else root
        rel = os.path.relpath(p, root)
        st = os.lstat(p)
        m = st.st_mode
        if stat.S_ISREG(m):
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            kind, extra = "f", h.hexdigest()
        elif stat.S_ISLNK(m):
            kind, extra = "l", os.readlink(p)
        elif stat.S_ISDIR(m):
            kind, extra = "d", ""
        else:
            kind, extra = "other", ""
        out.append("%s\t%s\t%o\t%d\t%d\t%s\t%s" % (rel, kind, stat.S_IMODE(m), st.st_uid,
                                                  st.st_gid, extra, xattrs(p)))
out.sort()
sys.stdout.write("\n".join(out) + "\n")
EOF
}

# umoci's tree, changed the way berth's import changes an image (DESIGN.md sections 2 and 3)
normalise_umoci_tree ()
{
  local root=$1 d
  if [ -e "$root/etc" ]; then
    [ ! -e "$root/usr/etc" ] || fail "the image has both /etc and /usr/etc"
    mv "$root/etc" "$root/usr/etc"
  fi
  for d in run tmp proc sys dev; do
    if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then
      find "$root/$d" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    fi
  done
  find "$root" \( -type b -o -type c -o -type p -o -type s \) -delete
}

# config_of TAG: the config digest of TAG's manifest
config_of ()
{
  local m
  m=$(jq -r --arg t "$1" \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$layout/index.json")
  [ -n "$m" ] || fail "no tag $1 in $layout"
  jq -r '.config.digest' "$layout/blobs/sha256/${m#sha256:}"
}
assert_eq "$(config_of v1-zstd)" "$(config_of v1)" "v1-zstd's config (the same image as v1)"

log "umoci unpack $layout:v1"
umoci unpack --image "$layout:v1" "$tmp/umoci" >/dev/null
normalise_umoci_tree "$tmp/umoci/rootfs"
tree_listing "$tmp/umoci/rootfs" "$tmp/umoci.list"
rm -rf "$tmp/umoci"

declare -A merge_root
for tag in v1 v1-zstd; do
  repo=$tmp/repo-$tag
  log "berth pull oci:$layout:$tag"
  /usr/bin/time -v -o "$tmp/time-$tag" "$BERTH" pull "oci:$layout:$tag" --repo "$repo" \
    >"$tmp/pull-$tag.out" 2>"$tmp/pull-$tag.err" ||
    { cat "$tmp/pull-$tag.err" >&2; fail "berth pull $tag failed"; }
  cat "$tmp/pull-$tag.err" >&2
  commit=$(tail -n 1 "$tmp/pull-$tag.out")
  [[ "$commit" =~ ^[0-9a-f]{64}$ ]] || fail "berth pull printed no commit: '$commit'"
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time-$tag")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time-$tag")
  log "import of $tag: $wall wall, peak RSS $((rss / 1024)) MiB"
  [ "$rss" -lt $((64 * 1024)) ] || fail "peak RSS $((rss / 1024)) MiB, DESIGN's budget is 64 MiB"

  # the state bootc reads: a blob ref per layer, the image ref, the merge commit's metadata
  manifest_digest=$(jq -r --arg t "$tag" \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$layout/index.json")
  n_layers=$(jq '.layers | length' "$layout/blobs/sha256/${manifest_digest#sha256:}")
  n_blob_refs=$(ostree --repo="$repo" refs | grep -c '^ostree/container/blob/sha256_3A_')
  assert_eq "$n_blob_refs" "$n_layers" "blob refs"
  image_ref=$(ostree --repo="$repo" refs | grep '^ostree/container/image/')
  assert_eq "$(ostree --repo="$repo" rev-parse "$image_ref")" "$commit" "image ref"
  assert_eq "$(ostree --repo="$repo" show --print-metadata-key=ostree.manifest-digest "$commit")" \
    "'$manifest_digest'" "ostree.manifest-digest"
  for key in ostree.manifest ostree.container.image-config; do
    ostree --repo="$repo" show --print-metadata-key="$key" "$commit" >/dev/null ||
      fail "the merge commit has no $key"
  done
  merge_root[$tag]=$(ostree --repo="$repo" ls -C -d "$commit" / | awk '{print $5, $6}')

  # a re-pull of the unchanged image writes nothing and names the same commit
  "$BERTH" pull "oci:$layout:$tag" --repo "$repo" >"$tmp/repull.out" 2>&1 ||
    fail "re-pull of $tag failed"
  assert_eq "$(tail -n 1 "$tmp/repull.out")" "$commit" "re-pull's commit"

  ostree --repo="$repo" checkout "$commit" "$tmp/ostree-$tag"
  tree_listing "$tmp/ostree-$tag" "$tmp/ostree-$tag.list"
  rm -rf "$tmp/ostree-$tag"

  # What bootc does on an upgrade that reuses these layer commits: check them out in order
  # onto one directory, unioning, with whiteouts processed (ostree-ext's
  # write_merge_commit_impl). That must give the tree of berth's merge commit.
  for digest in $(jq -r '.layers[].digest' "$layout/blobs/sha256/${manifest_digest#sha256:}"); do
    ostree --repo="$repo" checkout --union --whiteouts \
      "ostree/container/blob/sha256_3A_${digest#sha256:}" "$tmp/bootc-$tag"
  done
  tree_listing "$tmp/bootc-$tag" "$tmp/bootc-$tag.list"
  rm -rf "$tmp/bootc-$tag" "$repo"
  diff -u "$tmp/bootc-$tag.list" "$tmp/ostree-$tag.list" >&2 ||
    fail "$tag: the layer commits checked out as bootc merges them differ from the merge commit"
  n=$(wc -l <"$tmp/ostree-$tag.list")
  if ! diff -u "$tmp/umoci.list" "$tmp/ostree-$tag.list" >"$tmp/diff-$tag"; then
    head -n 60 "$tmp/diff-$tag" >&2
    fail "$tag: berth's tree differs from umoci's ($(grep -c '^[-+][^-+]' "$tmp/diff-$tag") lines)"
  fi
  log "$tag: $n paths identical to umoci's unpack"
  [ "$n" -gt 1000 ] || fail "only $n paths: not the test OS image?"
done

assert_eq "${merge_root[v1-zstd]}" "${merge_root[v1]}" "the gzip and zstd images' trees"
log "gzip and zstd images give the same tree: ${merge_root[v1]}"
