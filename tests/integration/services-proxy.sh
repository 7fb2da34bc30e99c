#!/bin/bash
# The fault proxy in front of registry B injects each kind of fault (checked with curl).
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/services.sh
. "$(dirname "$0")/../lib/services.sh"

need_cmd skopeo umoci curl jq
services_up
proxy_clear
on_exit proxy_clear

work=
mktemp_dir work
build_small_image "$work/layout" v1 300000
repo=berth-test/proxy
push_image "oci:$work/layout:v1" "$repo:v1" B

P=http://$BERTH_REG_PROXY
manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "$P/v2/$repo/manifests/v1") || fail "manifest through the proxy"
digest=$(jq -r '.layers[0].digest' <<<"$manifest")
size=$(jq -r '.layers[0].size' <<<"$manifest")
blob=/v2/$repo/blobs/$digest
# the reference copy, straight from B
curl -sf -o "$work/ref" "http://$BERTH_REG_HTTP$blob" || fail "blob from B"
assert_eq "sha256:$(sha256sum <"$work/ref" | cut -d' ' -f1)" "$digest" "blob digest from B"
assert_eq "$(stat -c %s "$work/ref")" "$size" "blob size from B"
proxy_clear

sha () { printf 'sha256:%s' "$(sha256sum <"$1" | cut -d' ' -f1)"; }

# fetch NAME [CURL_ARGS...]: GET the blob through the proxy into $work/NAME;
# sets rc (curl's exit status), code (HTTP status) and hdr (the response headers)
fetch ()
{
  local name=$1
  shift
  rc=0
  code=$(curl -s -o "$work/$name" -D "$work/$name.hdr" -w '%{http_code}' "$@" "$P$blob") || rc=$?
  hdr=$(tr -d '\r' <"$work/$name.hdr")
}

# ---- cut after N bytes ------------------------------------------------------

proxy_fault '{"kind": "cut", "path": "/blobs/sha256:", "after": 1000}' >/dev/null
fetch cut
assert_eq "$rc" 18 "cut: curl sees a partial transfer (exit 18)"
assert_eq "$(stat -c %s "$work/cut")" 1000 "cut: bytes received"
assert_contains "$hdr" "Content-Length: $size" "cut: the full Content-Length was announced"
# resume with a Range request: together they are the blob
fetch rest -H 'Range: bytes=1000-'
assert_eq "$code" 206 "resume: status"
assert_contains "$hdr" "Content-Range: bytes 1000-$((size - 1))/$size"
cat "$work/cut" "$work/rest" >"$work/resumed"
assert_eq "$(sha "$work/resumed")" "$digest" "cut + resume"

proxy_fault '{"kind": "cut", "path": "/blobs/", "after": 0, "reset": true}' >/dev/null
fetch reset
assert_eq "$rc" 56 "cut with reset: curl sees a connection reset (exit 56)"

proxy_fault '{"kind": "drop", "path": "/blobs/", "method": "GET"}' >/dev/null
fetch drop
assert_eq "$rc" 52 "drop: curl sees an empty reply (exit 52)"

# ---- status faults ------------------------------------------------------------

proxy_fault '{"kind": "status", "path": "/blobs/", "status": 503}' >/dev/null
fetch s1
assert_eq "$code" 503 "503 fault"
fetch s2
assert_eq "$code" 200 "503 once, then the next request succeeds"
assert_eq "$(sha "$work/s2")" "$digest"

proxy_fault '{"kind": "status", "path": "/blobs/", "status": 429, "retry_after": 2}' >/dev/null
fetch s3
assert_eq "$code" 429 "429 fault"
assert_contains "$hdr" "Retry-After: 2"
assert_contains "$(cat "$work/s3")" TOOMANYREQUESTS

# times and skip: let one through, then fail two, then pass again
proxy_fault '{"kind": "status", "path": "/blobs/", "status": 502, "skip": 1, "times": 2}' >/dev/null
codes=
for _ in 1 2 3 4; do fetch s4; codes+="$code "; done
assert_eq "$codes" "200 502 502 200 " "skip 1, times 2"

# ---- redirect -----------------------------------------------------------------

proxy_fault '{"kind": "redirect", "path": "/blobs/", "status": 307}' >/dev/null
fetch r1
assert_eq "$code" 307 "redirect without -L"
location=$(sed -n 's/^Location: //p' <<<"$hdr")
assert_eq "$location" "http://$BERTH_REG_PROXY_STORAGE/__storage$blob" "redirect target"

proxy_fault '{"kind": "redirect", "path": "^/v2/.*/blobs/", "status": 302}' >/dev/null
out=$(curl -s -L -o "$work/r2" -w '%{http_code} %{num_redirects} %{url_effective}' "$P$blob")
assert_eq "$out" "200 1 http://$BERTH_REG_PROXY_STORAGE/__storage$blob" "redirect followed"
assert_eq "$(sha "$work/r2")" "$digest" "redirected blob digest"

# a Range request survives the redirect
proxy_fault '{"kind": "redirect", "path": "^/v2/.*/blobs/"}' >/dev/null
curl -s -L -r 10-19 -o "$work/r3" "$P$blob"
cmp -s "$work/r3" <(tail -c +11 "$work/ref" | head -c 10) || fail "Range after a redirect"

# ---- Range and HEAD ---------------------------------------------------------------

fetch range -H 'Range: bytes=100-199'
assert_eq "$code" 206 "Range: status"
assert_contains "$hdr" "Content-Range: bytes 100-199/$size"
assert_contains "$hdr" "Content-Length: 100"
cmp -s "$work/range" <(tail -c +101 "$work/ref" | head -c 100) || fail "Range: wrong bytes"

fetch head -I
assert_eq "$code" 200 "HEAD"
assert_contains "$hdr" "Content-Length: $size"
assert_contains "$hdr" "Docker-Content-Digest: $digest"

# ---- corrupt ------------------------------------------------------------------

proxy_fault '{"kind": "corrupt", "path": "/blobs/", "offset": 5}' >/dev/null
fetch bad
assert_eq "$code" 200 "corrupt: status"
assert_eq "$(stat -c %s "$work/bad")" "$size" "corrupt: size"
[ "$(sha "$work/bad")" != "$digest" ] || fail "corrupt: the digest still matches"
diffs=$( { cmp -l "$work/bad" "$work/ref" || true; } | awk '{print $1}' | tr '\n' ' ')
assert_eq "$diffs" "6 " "corrupt: exactly byte offset 5 differs"

# ---- delay and stall ------------------------------------------------------------

proxy_fault '{"kind": "delay", "path": "/manifests/", "ms": 400}' >/dev/null
t=$(curl -s -o /dev/null -w '%{time_total}' "$P/v2/$repo/manifests/v1")
awk -v t="$t" 'BEGIN { exit !(t >= 0.4) }' || fail "delay: took only ${t}s"

proxy_fault '{"kind": "stall", "path": "/blobs/", "after": 4096, "ms": 300}' >/dev/null
t=$(curl -s -o "$work/stalled" -w '%{time_total}' "$P$blob")
awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }' || fail "stall: took only ${t}s"
assert_eq "$(sha "$work/stalled")" "$digest" "stall: the body is complete"

# ---- the request log and the control API ------------------------------------------

plog=$(proxy_log)
jq -e 'length > 10' <<<"$plog" >/dev/null || fail "request log too short: $plog"
jq -e --arg p "$blob" \
  'any(.[]; .method == "GET" and .path == $p and .fault == "cut" and .cut and .bytes == 1000)' \
  <<<"$plog" >/dev/null || fail "log: no cut entry"
jq -e 'any(.[]; .range == "bytes=100-199" and .status == 206 and .bytes == 100)' \
  <<<"$plog" >/dev/null || fail "log: no Range entry"
jq -e 'any(.[]; .method == "HEAD" and .status == 200 and .bytes == 0)' <<<"$plog" >/dev/null \
  || fail "log: no HEAD entry"
jq -e 'any(.[]; .port == "storage" and (.path | startswith("/__storage/")) and .status == 200)' \
  <<<"$plog" >/dev/null || fail "log: no storage entry"
jq -e '[.[] | .seq] | . == sort' <<<"$plog" >/dev/null || fail "log: not in order"

# every fault is used up
jq -e 'all(.faults[]; .remaining == 0)' <<<"$(curl -sf "$P/__fault")" >/dev/null \
  || fail "faults left: $(curl -sf "$P/__fault")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data '{"kind": "nonsense"}' "$P/__fault")
assert_eq "$code" 400 "an invalid fault is refused"
proxy_clear
assert_eq "$(proxy_log)" "[]" "log after proxy_clear"

log "ok"
