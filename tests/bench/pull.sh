#!/bin/bash
# make bench: berth pull against the pipeline a user would otherwise run (skopeo copy +
# umoci unpack + ostree commit --tree=dir= into a bare repo), on the test OS image served by the
# local TLS registry with password auth. Reports wall time, peak RSS and their ratio, and
# berth's RSS for the tiny and the full image per 10,000 files. Not a test: nothing asserts.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
# shellcheck source=tests/bench/lib.sh
. "$BERTH_TOP/tests/bench/lib.sh"
need_root
need_cmd skopeo umoci ostree jq
services_up
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")}

tmp=
mktemp_dir tmp
BENCH_OUT=$BERTH_BUILD/bench/pull
rm -rf "$BENCH_OUT"
mkdir -p "$BENCH_OUT"
tls=(--cert-dir "$BERTH_REG_CERTS_DIR")
creds="$BERTH_REG_USER:$BERTH_REG_PASS"
push_image "oci:$layout:v1" bench/os:v1 A
push_image "oci:$layout:tiny" bench/os:tiny A
src="docker://$BERTH_REG_TLS/bench/os"

for tag in tiny v1; do
  # Each run starts cold: a new repository, nothing cached.
  timed "berth-$tag" "$BERTH" pull -q "$src:$tag" --repo "$tmp/berth-$tag" "${tls[@]}" --creds "$creds"
  files=$(ostree --repo="$tmp/berth-$tag" ls -R "$(cat "$BENCH_OUT/berth-$tag.out")" | grep -vc '^d')
  eval "files_$tag=$files"

  timed "skopeo-$tag" skopeo copy -q --src-cert-dir "$BERTH_REG_CERTS_DIR" --src-creds "$creds" "$src:$tag" "oci:$tmp/oci-$tag:$tag"
  timed "umoci-$tag" umoci unpack --image "$tmp/oci-$tag:$tag" "$tmp/bundle-$tag"
  ostree --repo="$tmp/ostree-$tag" init --mode=bare
  timed "ostree-$tag" ostree --repo="$tmp/ostree-$tag" commit -b bench --tree=dir="$tmp/bundle-$tag/rootfs" \
    --no-xattrs --consume
  rm -rf "$tmp/bundle-$tag"
done

report ()
{
  local tag=$1 files=$2 pw pr
  pw=$(awk -v a="${BENCH_WALL[skopeo-$tag]}" -v b="${BENCH_WALL[umoci-$tag]}" \
    -v c="${BENCH_WALL[ostree-$tag]}" 'BEGIN { print a + b + c }')
  pr=${BENCH_RSS[skopeo-$tag]}
  for s in umoci ostree; do
    [ "${BENCH_RSS[$s-$tag]}" -gt "$pr" ] && pr=${BENCH_RSS[$s-$tag]}
  done
  printf '%-6s %7s files | berth %7.2f s %7s MiB | pipeline %7.2f s %7s MiB (skopeo %.2f + umoci %.2f + ostree %.2f s) | berth/pipeline: time %s, RSS %s\n' \
    "$tag" "$files" "${BENCH_WALL[berth-$tag]}" "$(mib "${BENCH_RSS[berth-$tag]}")" \
    "$pw" "$(mib "$pr")" "${BENCH_WALL[skopeo-$tag]}" "${BENCH_WALL[umoci-$tag]}" \
    "${BENCH_WALL[ostree-$tag]}" "$(ratio "${BENCH_WALL[berth-$tag]}" "$pw")" \
    "$(ratio "${BENCH_RSS[berth-$tag]}" "$pr")"
}
{
  echo "berth pull vs skopeo copy + umoci unpack + ostree commit (TLS registry on 127.0.0.1, $(nproc) CPUs)"
  # shellcheck disable=SC2154  # set by eval above
  report tiny "$files_tiny"
  # shellcheck disable=SC2154
  report v1 "$files_v1"
  # The growth of berth's peak RSS with the file count (the mutable trees), from tiny to full.
  awk -v rt="${BENCH_RSS[berth-tiny]}" -v rf="${BENCH_RSS[berth-v1]}" -v ft="$files_tiny" \
    -v ff="$files_v1" 'BEGIN { printf "berth peak RSS growth: %.1f MiB per 10,000 files (%.1f MiB with %d files, %.1f MiB with %d)\n",
      (rf - rt) / 1024 * 10000 / (ff - ft), rt / 1024, ft, rf / 1024, ff }'
} | tee "$BENCH_OUT/summary.txt"
