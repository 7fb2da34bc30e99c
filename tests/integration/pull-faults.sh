#!/bin/bash
# berth pull through the fault-injecting proxy: a corrupted blob is refused and nothing
# references it; a connection cut mid-blob resumes with Range; 5xx and 429 are retried once;
# a redirected blob is followed to the storage port; the registry's error codes decide
# (TOOMANYREQUESTS retried, DENIED not) and its error body is shown, capped and cleaned.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
need_cmd skopeo umoci ostree jq
[ -x "$BERTH" ] || fail "$BERTH not built"
services_up
export BERTH_RETRY_BASE_MS=50

tmp=
mktemp_dir tmp
ns="faults-$$"
# 600 kB of random data: a blob large enough to cut in the middle.
build_small_image "$tmp/layout" v1 600000
push_image "oci:$tmp/layout:v1" "$ns/img:v1" B
img="docker://$BERTH_REG_PROXY/$ns/img:v1"
layer=$(skopeo inspect --tls-verify=false "docker://$BERTH_REG_HTTP/$ns/img:v1" | jq -r '.Layers[0]')
pull () { "$BERTH" pull "$img" --tls-verify=false -q "$@"; }
blob_requests () { proxy_log | jq -c "[.[] | select(.path | endswith(\"$layer\"))]"; }

# Offset 20 lands in the deflate stream (the data cannot even be decompressed), 300000 in the
# middle of the payload: either way the error is the digest mismatch, not a gzip error.
for offset in 20 300000; do
  log "corrupted blob (byte $offset): digest error naming the blob, nothing referenced"
  proxy_clear >/dev/null
  proxy_fault "{\"kind\":\"corrupt\",\"path\":\"$layer\$\",\"offset\":$offset,\"times\":-1}" >/dev/null
  rc=0
  pull --repo "$tmp/repo-corrupt-$offset" 2>"$tmp/err" >/dev/null || rc=$?
  assert_eq "$rc" 1 "exit status for a corrupted blob"
  assert_contains "$(cat "$tmp/err")" "$layer"
  assert_contains "$(cat "$tmp/err")" "expected"
  if [ -d "$tmp/repo-corrupt-$offset" ]; then
    refs=$(ostree --repo="$tmp/repo-corrupt-$offset" refs)
    assert_eq "$refs" "" "refs after a corrupted blob"
  fi
done

log "connection cut mid-blob: resumes with Range from the byte reached"
proxy_clear >/dev/null
proxy_fault "{\"kind\":\"cut\",\"path\":\"$layer\$\",\"after\":250000,\"times\":1}" >/dev/null
c=$(pull --repo "$tmp/repo-cut")
[[ "$c" =~ ^[0-9a-f]{64}$ ]] || fail "pull after a cut printed '$c'"
reqs=$(blob_requests)
assert_eq "$(jq 'map(select(.method == "GET")) | length' <<<"$reqs")" 2 "GETs of the cut blob"
range=$(jq -r 'map(select(.method == "GET"))[1].range' <<<"$reqs")
[[ "$range" =~ ^bytes=[1-9][0-9]*-$ ]] || fail "the retry did not resume with Range: '$range'"
from=${range#bytes=}
from=${from%-}
{ [ "$from" -ge 200000 ] && [ "$from" -le 250000 ]; } || fail "resumed at $from, cut at 250000"
ostree --repo="$tmp/repo-cut" cat "$c" /usr/share/berth-test/payload | cmp - <(
  ostree --repo="$tmp/repo-cut" cat "$c" /usr/share/berth-test/payload) \
  || fail "payload unreadable"

log "503 once, then success"
proxy_clear >/dev/null
proxy_fault "{\"kind\":\"status\",\"status\":503,\"path\":\"$layer\$\",\"times\":1}" >/dev/null
pull --repo "$tmp/repo-503" >/dev/null
assert_eq "$(blob_requests | jq '[.[] | .status] | join(",")' -r)" "503,200" "503 then 200"

log "429 with Retry-After once, then success"
proxy_clear >/dev/null
proxy_fault "{\"kind\":\"status\",\"status\":429,\"retry_after\":1,\"path\":\"/manifests/\",\"times\":1}" >/dev/null
start=$(date +%s%N)
pull --repo "$tmp/repo-429" >/dev/null
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed_ms" -ge 900 ] || fail "Retry-After: 1 was not honoured (pull took ${elapsed_ms} ms)"
assert_eq "$(proxy_log | jq -r '[.[] | select(.path | test("/manifests/")) | .status] | join(",")')" \
  "429,200" "429 then 200 on the manifest"

log "registry error bodies drive the decision"
# status_fault STATUS PATH TIMES BODY [RETRY_AFTER]: a status fault whose body is BODY, verbatim
status_fault ()
{
  proxy_fault "$(jq -nc --argjson st "$1" --arg p "$2" --argjson n "$3" --arg b "$4" \
    --argjson ra "${5:-null}" \
    '{kind: "status", status: $st, path: $p, times: $n, body: $b} + (if $ra then {retry_after: $ra} else {} end)')" >/dev/null
}
errors_body () { jq -nc --arg c "$1" --arg m "$2" '{errors: [{code: $c, message: $m}]}'; }
# TOOMANYREQUESTS is retried after Retry-After even when the status is not 429 (a 503 here)
proxy_clear >/dev/null
status_fault 503 /manifests/ 1 "$(errors_body TOOMANYREQUESTS "slow down")" 1
start=$(date +%s%N)
pull --repo "$tmp/repo-toomany" >/dev/null
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed_ms" -ge 900 ] || fail "TOOMANYREQUESTS: Retry-After 1 not honoured (${elapsed_ms} ms)"
# DENIED on a blob is not retried, and the message quotes the registry, cleaned of escapes
proxy_clear >/dev/null
status_fault 403 "$layer\$" -1 "$(errors_body DENIED $'pull quota exceeded for\e[31m this account')"
rc=0
pull --repo "$tmp/repo-denied" 2>"$tmp/err" >/dev/null || rc=$?
assert_eq "$rc" 1 "exit status for DENIED"
assert_contains "$(cat "$tmp/err")" 'registry said: DENIED "pull quota exceeded for?[31m this account"'
assert_contains "$(cat "$tmp/err")" "with no credentials"
assert_eq "$(blob_requests | jq 'map(select(.method == "GET")) | length')" 1 "GETs of a DENIED blob (no retry)"
# NAME_UNKNOWN: the repository is named, not a manifest
proxy_clear >/dev/null
status_fault 404 /manifests/ 1 "$(errors_body NAME_UNKNOWN "repository name not known to registry")"
rc=0
pull --repo "$tmp/repo-name" 2>"$tmp/err" >/dev/null || rc=$?
assert_eq "$rc" 1 "exit status for NAME_UNKNOWN"
assert_contains "$(cat "$tmp/err")" "has no repository $ns/img"
assert_contains "$(cat "$tmp/err")" 'NAME_UNKNOWN "repository name not known to registry"'
# a huge plain-text error page: its first line, capped
proxy_clear >/dev/null
status_fault 400 /manifests/ 1 "bad request: $(head -c 5000 /dev/zero | tr '\0' x)"
rc=0
pull --repo "$tmp/repo-400" 2>"$tmp/err" >/dev/null || rc=$?
assert_eq "$rc" 1 "exit status for a 400"
assert_contains "$(cat "$tmp/err")" 'HTTP status 400, registry said: "bad request: xxx'
[ "$(wc -c <"$tmp/err")" -lt 1500 ] || fail "the error body was not capped: $(wc -c <"$tmp/err") bytes"

log "redirected blob: followed to the storage port"
proxy_clear >/dev/null
proxy_fault "{\"kind\":\"redirect\",\"status\":307,\"path\":\"$layer\$\",\"times\":1}" >/dev/null
c=$(pull --repo "$tmp/repo-redirect")
[[ "$c" =~ ^[0-9a-f]{64}$ ]] || fail "redirected pull printed '$c'"
assert_eq "$(proxy_log | jq '[.[] | select(.port == "storage") | select(.path | contains("/__storage/"))] | length')" \
  1 "requests that reached the storage port"

log "an outage longer than the retries: clear failure, nothing referenced"
proxy_clear >/dev/null
proxy_fault "{\"kind\":\"status\",\"status\":502,\"path\":\"$layer\$\",\"times\":-1}" >/dev/null
rc=0
pull --repo "$tmp/repo-down" 2>"$tmp/err" >/dev/null || rc=$?
assert_eq "$rc" 1 "exit status when the registry keeps failing"
assert_contains "$(cat "$tmp/err")" "attempts"
[ ! -d "$tmp/repo-down" ] || assert_eq "$(ostree --repo="$tmp/repo-down" refs)" "" "refs after an outage"
proxy_clear >/dev/null

log "faults ok"
