#!/bin/bash
# Ostree-format images (ostree-ext's container format, tar format v1, and v0 below) made
# without berth and without ostree-ext, for the root tests. Source after common.sh. Needs root
# (a `bare` repo's .file objects carry the content's uid, gid, mode and xattrs, exactly as the
# tar format wants them), ostree, gpg, GNU tar, gzip and jq; v0 also Debian's python3.
#
#   ostree_image_init DIR        DIR (inside a mktemp_dir) holds everything; sets GNUPGHOME
#                                (DIR/gnupg), OSTREE_IMAGE_SRC (a bare repo at
#                                DIR/src/sysroot/ostree/repo, so its object files have the paths
#                                the layers carry) and OSTREE_IMAGE_LAYOUT (DIR/layout, an OCI
#                                layout without images)
#   ostree_image_gen_key NAME    a new ed25519 signing key "NAME <NAME@berth.test>"; prints its
#                                fingerprint
#   ostree_image_commit BRANCH TREE KEY [TIMESTAMP]
#                                commits directory TREE to BRANCH signed with KEY; prints the
#                                checksum
#   ostree_image_object_files COMMIT
#                                the paths (relative to DIR/src) of the objects COMMIT reaches,
#                                one a line: commit, commitmeta, dirtrees and dirmetas, content
#   ostree_image_tar_layer OUT LISTFILE [FROM]
#                                a gzip tar of the listed paths of FROM (default DIR/src), in
#                                list order, numeric owners, no directories of their own
#   ostree_image_write TAG COMMIT-LABEL LAYER...
#                                an image in the layout, tagged TAG: LAYER is "ostree:FILE" (up
#                                to ostree.final-diffid) or "derived:FILE"; the config has the
#                                labels ostree-ext writes (ostree.commit unless COMMIT-LABEL is
#                                empty, ostree.final-diffid, ostree.bootable, containers.bootc)
#   ostree_image_single TAG COMMIT
#                                the simplest image of COMMIT: one ostree layer (the commit
#                                layer, ostree.final-diffid names it) with all its objects
#
# Tar format v0 (ostree-ext's default before 0.9), laid out as its export wrote it and packed by
# GNU tar (hardlinks made with ln, so tar writes them as hardlinks); tests/lib/ostree-v0.py
# serialises the xattrs and puts the S_IFMT bits into the modes:
#   ostree_image_v0_stage STAGE COMMIT LISTFILE [commit|chunk]
#                                lays out the new directory STAGE and writes STAGE.names, the
#                                members in order: for a commit layer the root `./`; the repo
#                                skeleton (sysroot/ostree/repo, objects/00..ff, refs, ...,
#                                xattrs) and sysroot/config; the listed objects, a .file preceded
#                                by xattrs/SHA256 of its xattrs (once per layer) and the hardlink
#                                REST.file.xattrs to it when it has any, followed by the hardlinks
#                                of its tree paths (usr/etc as etc; `./` on those over 100 bytes,
#                                as ostree-ext's tar crate writes them); a commit layer also has
#                                the tree's directories with their dirmeta's owner and mode
#   ostree_image_v0_pack STAGE NAMES OUT
#                                the gzip GNU tar of the NAMES members of STAGE, v0 modes
#   ostree_image_v0_layer OUT COMMIT LISTFILE [commit|chunk]
#                                both (STAGE: OUT without its .tar.gz, plus .stage)

# ostree_image_init DIR
ostree_image_init ()
{
  OSTREE_IMAGE_DIR=$1
  export GNUPGHOME=$OSTREE_IMAGE_DIR/gnupg
  mkdir -p "$OSTREE_IMAGE_DIR"
  mkdir -m 700 "$GNUPGHOME"
  OSTREE_IMAGE_SRC=$OSTREE_IMAGE_DIR/src/sysroot/ostree/repo
  mkdir -p "$OSTREE_IMAGE_DIR/src/sysroot/ostree"
  ostree init --repo="$OSTREE_IMAGE_SRC" --mode=bare
  OSTREE_IMAGE_LAYOUT=$OSTREE_IMAGE_DIR/layout
  mkdir -p "$OSTREE_IMAGE_LAYOUT/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}\n' >"$OSTREE_IMAGE_LAYOUT/oci-layout"
  printf '{"schemaVersion":2,"manifests":[]}\n' >"$OSTREE_IMAGE_LAYOUT/index.json"
}

# ostree_image_gen_key NAME
ostree_image_gen_key ()
{
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "$1 <$1@berth.test>" ed25519 sign never 2>/dev/null
  gpg --batch --with-colons --list-keys "$1@berth.test" | awk -F: '$1 == "fpr" { print $10; exit }'
}

# ostree_image_commit BRANCH TREE KEY [TIMESTAMP]
ostree_image_commit ()
{
  ostree commit --repo="$OSTREE_IMAGE_SRC" --branch="$1" --tree=dir="$2" \
    --subject="berth ostree-format test $1" --timestamp="${4:-2026-01-01T00:00:00Z}" \
    --gpg-sign="$3" --gpg-homedir="$GNUPGHOME" >/dev/null
  ostree rev-parse --repo="$OSTREE_IMAGE_SRC" "$1"
}

# ostree_image_object_files COMMIT
ostree_image_object_files ()
{
  local c=$1
  printf 'sysroot/ostree/repo/objects/%s/%s.commit\n' "${c:0:2}" "${c:2}"
  printf 'sysroot/ostree/repo/objects/%s/%s.commitmeta\n' "${c:0:2}" "${c:2}"
  ostree ls --repo="$OSTREE_IMAGE_SRC" -R -C "$c" / |
    awk '{ if ($1 ~ /^d/) { print $5 ".dirtree"; print $6 ".dirmeta" } else print $5 ".file" }' |
    sort -u | sed -E 's|^(..)(.*)$|sysroot/ostree/repo/objects/\1/\2|'
}

# ostree_image_tar_layer OUT LISTFILE [FROM]
ostree_image_tar_layer ()
{
  tar -C "${3:-$OSTREE_IMAGE_DIR/src}" --numeric-owner --no-recursion --format=gnu --mtime=@0 \
    -cf - -T "$2" | gzip -n >"$1"
}

# _ostree_image_blob FILE: copies FILE (gzipped already) into the layout; prints
# "DIGEST SIZE DIFFID"
_ostree_image_blob ()
{
  local f=$1 d s diff
  d=$(sha256sum "$f" | cut -c1-64)
  s=$(stat -c %s "$f")
  diff=$(gzip -dc "$f" | sha256sum | cut -c1-64)
  cp "$f" "$OSTREE_IMAGE_LAYOUT/blobs/sha256/$d"
  printf 'sha256:%s %s sha256:%s\n' "$d" "$s" "$diff"
}

# ostree_image_write TAG COMMIT-LABEL LAYER...
ostree_image_write ()
{
  local tag=$1 label=$2 spec kind file final='' layers='[]' diffids='[]' out d s diff
  local w=$OSTREE_IMAGE_DIR layout=$OSTREE_IMAGE_LAYOUT
  shift 2
  for spec in "$@"; do
    kind=${spec%%:*} file=${spec#*:}
    read -r d s diff < <(_ostree_image_blob "$file")
    layers=$(jq -c --arg d "$d" --argjson s "$s" \
      '. + [{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$d,size:$s}]' <<<"$layers")
    diffids=$(jq -c --arg d "$diff" '. + [$d]' <<<"$diffids")
    [ "$kind" = ostree ] && final=$diff
  done
  jq -n -c --arg c "$label" --arg f "$final" --argjson ids "$diffids" \
    '{architecture:"amd64",os:"linux",created:"2026-01-01T00:00:00Z",
      config:{Labels:({"ostree.commit":$c,"ostree.bootable":"true","containers.bootc":"1"}
                      + (if $f == "" then {} else {"ostree.final-diffid":$f} end))},
      rootfs:{type:"layers",diff_ids:$ids}}' >"$w/config.json"
  if [ -z "$label" ]; then
    jq -c 'del(.config.Labels["ostree.commit"])' "$w/config.json" >"$w/c"
    mv "$w/c" "$w/config.json"
  fi
  local cd cs
  cd=$(sha256sum "$w/config.json" | cut -c1-64) cs=$(stat -c %s "$w/config.json")
  mv "$w/config.json" "$layout/blobs/sha256/$cd"
  jq -n -c --arg cd "sha256:$cd" --argjson cs "$cs" --argjson layers "$layers" \
    '{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
      config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$cd,size:$cs},
      layers:$layers}' >"$w/manifest.json"
  local md ms
  md=$(sha256sum "$w/manifest.json" | cut -c1-64) ms=$(stat -c %s "$w/manifest.json")
  mv "$w/manifest.json" "$layout/blobs/sha256/$md"
  out=$(jq -c --arg d "sha256:$md" --argjson s "$ms" --arg t "$tag" \
    '.manifests |= ([.[] | select(.annotations["org.opencontainers.image.ref.name"] != $t)]
      + [{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
          annotations:{"org.opencontainers.image.ref.name":$t}}])' "$layout/index.json")
  printf '%s\n' "$out" >"$layout/index.json"
}

# ostree_image_single TAG COMMIT
ostree_image_single ()
{
  local tag=$1 c=$2 list=$OSTREE_IMAGE_DIR/single-$1.list
  { printf 'sysroot\nsysroot/ostree\nsysroot/ostree/repo\nsysroot/ostree/repo/objects\n'
    ostree_image_object_files "$c" | sed -E 's|^(sysroot/ostree/repo/objects/..)/.*|\1|' | sort -u
    ostree_image_object_files "$c"; } >"$list"
  ostree_image_tar_layer "$OSTREE_IMAGE_DIR/single-$tag.tar.gz" "$list"
  ostree_image_write "$tag" "$c" "ostree:$OSTREE_IMAGE_DIR/single-$tag.tar.gz"
}

# ---- tar format v0 --------------------------------------------------------------------------

_OSTREE_IMAGE_V0_PY=$(dirname "${BASH_SOURCE[0]}")/ostree-v0.py

# _ostree_image_v0_tree_path PATH: PATH (from `ostree ls`, with its /) as a v0 member name
_ostree_image_v0_tree_path ()
{
  local p=${1#/}
  case "$p" in usr/etc | usr/etc/*) p=${p#usr/} ;; esac
  if [ "${#p}" -gt 100 ]; then p=./$p; fi
  printf '%s\n' "$p"
}

# ostree_image_v0_stage STAGE COMMIT LISTFILE [commit|chunk]
ostree_image_v0_stage ()
{
  local s=$1 c=$2 list=$3 kind=${4:-chunk} repo=sysroot/ostree/repo
  local names=$1.names d i obj csum sha tmp mode uid gid path
  rm -rf "$s" && mkdir -p "$s/$repo"
  : >"$names"
  [ "$kind" = commit ] && printf '.\n' >>"$names"
  printf 'sysroot\nsysroot/ostree\n%s\n%s/objects\n' "$repo" "$repo" >>"$names"
  for i in $(seq 0 255); do
    d=$(printf '%s/objects/%02x' "$repo" "$i")
    mkdir -p "$s/$d" && printf '%s\n' "$d" >>"$names"
  done
  for d in extensions refs refs/heads refs/mirrors refs/remotes state tmp tmp/cache xattrs; do
    mkdir -p "$s/$repo/$d" && printf '%s/%s\n' "$repo" "$d" >>"$names"
  done
  printf '[core]\nrepo_version=1\nmode=bare-split-xattrs\n' >"$s/sysroot/config"
  chmod 0644 "$s/sysroot/config"
  printf 'sysroot/config\n' >>"$names"

  # the commit's tree: "mode uid gid size checksum(s) path" a line
  ostree ls --repo="$OSTREE_IMAGE_SRC" -R -C "$c" / >"$s.ls"
  if [ "$kind" = commit ]; then
    while read -r mode uid gid _ _ _ path; do
      case "$mode" in d*) ;; *) continue ;; esac
      [ "$path" = / ] && continue
      d=$(_ostree_image_v0_tree_path "$path")
      mkdir -p "$s/$d" && chown "$uid:$gid" "$s/$d" && chmod "${mode#d}" "$s/$d"
      printf '%s\n' "$d" >>"$names"
    done <"$s.ls"
  fi

  tmp=$s.xattrs
  while read -r obj; do
    mkdir -p "$s/${obj%/*}"
    case "$obj" in
      *.file) ;;
      *) ln "$OSTREE_IMAGE_DIR/src/$obj" "$s/$obj" && printf '%s\n' "$obj" >>"$names"
         continue ;;
    esac
    "$PYTHON3" "$_OSTREE_IMAGE_V0_PY" xattrs "$OSTREE_IMAGE_DIR/src/$obj" >"$tmp"
    if [ -s "$tmp" ]; then
      sha=$(sha256sum "$tmp" | cut -c1-64)
      if [ ! -e "$s/$repo/xattrs/$sha" ]; then
        mv "$tmp" "$s/$repo/xattrs/$sha" && chmod 0644 "$s/$repo/xattrs/$sha"
        printf '%s/xattrs/%s\n' "$repo" "$sha" >>"$names"
      fi
      ln "$s/$repo/xattrs/$sha" "$s/$obj.xattrs" && printf '%s.xattrs\n' "$obj" >>"$names"
    fi
    ln -P "$OSTREE_IMAGE_DIR/src/$obj" "$s/$obj" && printf '%s\n' "$obj" >>"$names"
    csum=${obj#"$repo"/objects/}
    csum=${csum%.file}
    csum=${csum/\//}
    while read -r mode _ _ _ _ path; do
      path=${path%% -> *}
      d=$(_ostree_image_v0_tree_path "$path")
      mkdir -p "$s/$(dirname "$d")" && ln -P "$s/$obj" "$s/$d" && printf '%s\n' "$d" >>"$names"
    done < <(awk -v c="$csum" '$1 !~ /^d/ && $5 == c' "$s.ls")
  done <"$list"
  rm -f "$tmp"
}

# ostree_image_v0_pack STAGE NAMES OUT
ostree_image_v0_pack ()
{
  tar -C "$1" --numeric-owner --no-recursion --format=gnu --mtime=@0 -cf - -T "$2" |
    "$PYTHON3" "$_OSTREE_IMAGE_V0_PY" modes | gzip -n >"$3"
}

# ostree_image_v0_layer OUT COMMIT LISTFILE [commit|chunk]
ostree_image_v0_layer ()
{
  local stage=${1%.tar.gz}.stage
  ostree_image_v0_stage "$stage" "$2" "$3" "${4:-chunk}"
  ostree_image_v0_pack "$stage" "$stage.names" "$1"
}
