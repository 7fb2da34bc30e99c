#!/bin/bash
# berth pull and berth inspect against the real registries of tests/services: anonymous,
# Basic, Bearer token, TLS with a CA from --cert-dir, plain http, wrong credentials, missing
# image and tag, pull by digest, a multi-arch index, and re-pulls that download nothing.
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
tls=(--cert-dir "$BERTH_REG_CERTS_DIR")
creds=(--creds "$BERTH_REG_USER:$BERTH_REG_PASS")
ns="pull-$$"

# An image of two layers (v1) and the same plus a third layer (v2).
build_small_image "$tmp/layout" v1 200000
build_small_image "$tmp/layout" base 100000
mkdir -p "$tmp/extra/usr/share/berth-extra"
echo "v2 only" >"$tmp/extra/usr/share/berth-extra/file"
tar -C "$tmp/extra" --numeric-owner --owner=0 --group=0 -cf "$tmp/extra.tar" usr
umoci raw add-layer --image "$tmp/layout:v1" "$tmp/extra.tar" >/dev/null
skopeo copy -q "oci:$tmp/layout:v1" "oci:$tmp/layout:v2"
tar -C "$tmp/extra" -cf "$tmp/extra2.tar" usr --transform 's/file/file2/'
umoci raw add-layer --image "$tmp/layout:v2" "$tmp/extra2.tar" >/dev/null
umoci config --image "$tmp/layout:v2" --config.label containers.bootc=1 >/dev/null
push_image "oci:$tmp/layout:v1" "$ns/img:v1" all
push_image "oci:$tmp/layout:v2" "$ns/img:v2" all

# inspect_field JSON_FILTER IMAGE ARGS...
inspect ()
{
  local img=$1
  shift
  "$BERTH" inspect "$img" "$@"
}

log "inspect over TLS with Basic auth and a CA from --cert-dir"
inspect "docker://$BERTH_REG_TLS/$ns/img:v2" "${tls[@]}" "${creds[@]}" >"$tmp/inspect.json"
assert_eq "$(jq -r .bootable "$tmp/inspect.json")" true "bootable label"
assert_eq "$(jq -r .ostreeCommit "$tmp/inspect.json")" false "ostree commit label"
assert_eq "$(jq -r '.layers | length' "$tmp/inspect.json")" 3 "layer count"
assert_eq "$(jq -r .architecture "$tmp/inspect.json")" amd64 "architecture"
assert_eq "$(jq -r .labels.\"containers.bootc\" "$tmp/inspect.json")" 1 "labels"
skopeo_digest=$(skopeo inspect --cert-dir "$BERTH_REG_CERTS_DIR" \
  --creds "$BERTH_REG_USER:$BERTH_REG_PASS" "docker://$BERTH_REG_TLS/$ns/img:v2" | jq -r .Digest)
assert_eq "$(jq -r .digest "$tmp/inspect.json")" "$skopeo_digest" "manifest digest as skopeo sees it"

log "inspect --raw prints the manifest bytes as served: their sha256 is the digest"
inspect "docker://$BERTH_REG_TLS/$ns/img:v2" --raw "${tls[@]}" "${creds[@]}" >"$tmp/raw"
assert_eq "sha256:$(sha256sum <"$tmp/raw" | cut -d' ' -f1)" "$skopeo_digest" "raw digest"

log "TLS without the CA fails verification, clearly"
if "$BERTH" inspect "docker://$BERTH_REG_TLS/$ns/img:v1" "${creds[@]}" 2>"$tmp/err"; then
  fail "an unknown CA was accepted"
fi
assert_contains "$(cat "$tmp/err")" "$BERTH_REG_TLS"

log "wrong password: clear error, exit 1, no password in the output"
rc=0
"$BERTH" pull "docker://$BERTH_REG_TLS/$ns/img:v1" --repo "$tmp/repo-bad" "${tls[@]}" \
  --creds "$BERTH_REG_USER:not-the-password" 2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "exit status for a refused password"
# the registry's own error body, quoted, and which credentials were refused (never the secret)
assert_contains "$(cat "$tmp/err")" "registry said: UNAUTHORIZED \"authentication required\""
assert_contains "$(cat "$tmp/err")" "with user '$BERTH_REG_USER' from --creds"
grep -q "not-the-password" "$tmp/err" && fail "the password appeared in the error"
# an auth error is not retried: one refused request for the manifest
assert_eq "$(grep -c 'retrying' "$tmp/err" || true)" 0 "retries of a refused request"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$BERTH_REG_TLS" \
  "$(printf '%s:%s' "$BERTH_REG_USER" wrong-again | base64 -w0)" >"$tmp/bad-auth.json"
rc=0
"$BERTH" inspect "docker://$BERTH_REG_TLS/$ns/img:v1" "${tls[@]}" --authfile "$tmp/bad-auth.json" \
  2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "exit status for a refused auth file"
assert_contains "$(cat "$tmp/err")" "with user '$BERTH_REG_USER' from $tmp/bad-auth.json"
grep -q "wrong-again" "$tmp/err" && fail "the auth file's password appeared in the error"

log "no credentials at all on a registry that needs them"
echo '{"auths": {}}' >"$tmp/empty-auth.json"
rc=0
REGISTRY_AUTH_FILE=$tmp/empty-auth.json "$BERTH" inspect "docker://$BERTH_REG_TLS/$ns/img:v1" \
  "${tls[@]}" 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] || fail "expected exit 1, got $rc: $(cat "$tmp/err")"
assert_contains "$(cat "$tmp/err")" "requires credentials"

log "missing tag and missing image: clear errors"
rc=0
"$BERTH" inspect "docker://$BERTH_REG_HTTP/$ns/img:nope" --tls-verify=false 2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "exit status for a missing tag"
assert_contains "$(cat "$tmp/err")" "Manifest nope not found in $BERTH_REG_HTTP/$ns/img"
assert_contains "$(cat "$tmp/err")" "registry said: MANIFEST_UNKNOWN \"manifest unknown\""
rc=0
"$BERTH" inspect "docker://$BERTH_REG_HTTP/$ns/nothing:v1" --tls-verify=false 2>"$tmp/err" \
  || rc=$?
assert_eq "$rc" 1 "exit status for a missing image"
# (Debian's docker-registry answers MANIFEST_UNKNOWN for a repository it never saw too; a
# NAME_UNKNOWN answer is the fault proxy's test)
assert_contains "$(cat "$tmp/err")" "Manifest v1 not found in $BERTH_REG_HTTP/$ns/nothing"
assert_contains "$(cat "$tmp/err")" "MANIFEST_UNKNOWN"

log "pull with Basic auth over TLS"
c1=$("$BERTH" pull "docker://$BERTH_REG_TLS/$ns/img:v1" --repo "$tmp/repo-a" "${tls[@]}" \
  "${creds[@]}")
[[ "$c1" =~ ^[0-9a-f]{64}$ ]] || fail "pull printed '$c1', not a commit checksum"
ostree --repo="$tmp/repo-a" cat "$c1" /usr/share/berth-extra/file | grep -qx "v2 only" \
  || fail "merged tree lacks the second layer's file"
ostree --repo="$tmp/repo-a" ls "$c1" /usr/etc/os-release >/dev/null \
  || fail "etc was not mapped to usr/etc"
ref="ostree/container/image/docker_3A__2F__2F_127_2E_0_2E_0_2E_1_3A_${BERTH_REG_TLS##*:}/$ns/img_3A_v1"
assert_eq "$(ostree --repo="$tmp/repo-a" rev-parse "$ref")" "$c1" "image ref named after the reference"
assert_eq "$(ostree --repo="$tmp/repo-a" refs ostree/container/blob | wc -l)" 2 "blob refs"
meta=$(ostree --repo="$tmp/repo-a" show --print-metadata-key=ostree.manifest-digest "$c1")
assert_contains "$meta" "$(skopeo inspect --cert-dir "$BERTH_REG_CERTS_DIR" \
  --creds "$BERTH_REG_USER:$BERTH_REG_PASS" "docker://$BERTH_REG_TLS/$ns/img:v1" | jq -r .Digest)"

log "credentials from an auth file (REGISTRY_AUTH_FILE) and from --authfile"
REGISTRY_AUTH_FILE=$BERTH_REG_AUTHFILE "$BERTH" inspect "docker://$BERTH_REG_TLS/$ns/img:v1" \
  "${tls[@]}" >/dev/null
"$BERTH" inspect "docker://$BERTH_REG_TLS/$ns/img:v1" "${tls[@]}" \
  --authfile "$BERTH_REG_AUTHFILE" >/dev/null

log "Bearer token flow: one token for the whole pull"
token_reset >/dev/null
c_tok=$("$BERTH" pull "docker://$BERTH_REG_TOKEN/$ns/img:v2" --repo "$tmp/repo-c" "${tls[@]}" \
  --authfile "$BERTH_REG_AUTHFILE")
[[ "$c_tok" =~ ^[0-9a-f]{64}$ ]] || fail "token pull printed '$c_tok'"
issued=$(token_stats | jq -r .issued)
assert_eq "$issued" 1 "tokens issued for one pull (the token is reused)"
rc=0
"$BERTH" pull "docker://$BERTH_REG_TOKEN/$ns/img:v2" --repo "$tmp/repo-c2" "${tls[@]}" \
  --creds "$BERTH_REG_USER:wrong" 2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "token realm refusing a wrong password"
assert_contains "$(cat "$tmp/err")" "Token realm https://"
assert_contains "$(cat "$tmp/err")" "refused access (HTTP 401, registry said: UNAUTHORIZED"
assert_contains "$(cat "$tmp/err")" "with user '$BERTH_REG_USER' from --creds"

log "an expired token is renewed: the registry's 401 mid-pull leads to one new token"
# Tokens that the registry honours for 2 s only; the proxy in front of C holds the config
# blob request for 3 s, so it reaches the registry with an expired token.
token_reset >/dev/null
token_config '{"expires_in": 2, "hard_expiry": true}' >/dev/null
PROXY=$BERTH_REG_TOKEN_PROXY proxy_clear
PROXY=$BERTH_REG_TOKEN_PROXY proxy_fault '{"kind":"delay","ms":3000,"path":"/blobs/","times":1}' >/dev/null
c_exp=$("$BERTH" pull "docker://$BERTH_REG_TOKEN_PROXY/$ns/img:v1" --repo "$tmp/repo-exp" \
  --tls-verify=false "${creds[@]}" -q)
[[ "$c_exp" =~ ^[0-9a-f]{64}$ ]] || fail "pull across a token expiry printed '$c_exp'"
assert_eq "$(PROXY=$BERTH_REG_TOKEN_PROXY proxy_log | jq -r '[.[] | select(.status == 401) | select(.path | test("/blobs/"))] | length')" \
  1 "blob requests refused for an expired token"
assert_eq "$(token_stats | jq -r .issued)" 2 "tokens issued (the first, and its renewal)"
token_reset >/dev/null

log "plain http with --tls-verify=false; refused without it"
c_http=$("$BERTH" pull "docker://$BERTH_REG_HTTP/$ns/img:v1" --repo "$tmp/repo-b" \
  --tls-verify=false)
[[ "$c_http" =~ ^[0-9a-f]{64}$ ]] || fail "http pull printed '$c_http'"
if "$BERTH" inspect "docker://$BERTH_REG_HTTP/$ns/img:v1" 2>"$tmp/err"; then
  fail "plain http was used without --tls-verify=false"
fi

log "same content, same trees: registry and oci: layout agree"
c_oci=$("$BERTH" pull "oci:$tmp/layout:v1" --repo "$tmp/repo-b")
tree () { ostree --repo="$1" ls -R -C "$2" | awk '{print $1, $2, $3, $5, $6, $7}' | sort; }
diff <(tree "$tmp/repo-b" "$c_http") <(tree "$tmp/repo-b" "$c_oci") \
  || fail "the oci: layout and the registry gave different trees"

log "oci-archive: streams layers out of the tar, same tree again"
skopeo copy -q "oci:$tmp/layout:v1" "oci-archive:$tmp/image.tar:v1"
c_arc=$("$BERTH" pull "oci-archive:$tmp/image.tar:v1" --repo "$tmp/repo-b" -q)
diff <(tree "$tmp/repo-b" "$c_http") <(tree "$tmp/repo-b" "$c_arc") \
  || fail "the oci-archive: gave a different tree"
assert_eq "$("$BERTH" inspect "oci-archive:$tmp/image.tar:v1" | jq -r .digest)" \
  "$(jq -r .digest <("$BERTH" inspect "oci:$tmp/layout:v1"))" "oci-archive manifest digest"
rc=0
"$BERTH" inspect "oci-archive:$tmp/no-such.tar" 2>"$tmp/err" >/dev/null || rc=$?
assert_eq "$rc" 1 "exit status for a missing archive"
assert_contains "$(cat "$tmp/err")" "no-such.tar"

log "re-pull of an unchanged image downloads nothing"
proxy_clear >/dev/null
"$BERTH" pull "docker://$BERTH_REG_PROXY/$ns/img:v1" --repo "$tmp/repo-p" --tls-verify=false -q >/dev/null
blobs_first=$(proxy_log | jq '[.[] | select(.path | test("/blobs/"))] | length')
[ "$blobs_first" -ge 3 ] || fail "first pull fetched $blobs_first blobs"
proxy_clear >/dev/null
"$BERTH" pull "docker://$BERTH_REG_PROXY/$ns/img:v1" --repo "$tmp/repo-p" --tls-verify=false \
  2>"$tmp/err" >/dev/null
assert_eq "$(proxy_log | jq '[.[] | select(.path | test("/blobs/sha256:[0-9a-f]+$")) | select(.method == "GET")] | length')" \
  1 "blob GETs on an unchanged re-pull (the config only)"
assert_contains "$(cat "$tmp/err")" "up to date"

log "a changed image downloads only its new layer"
proxy_clear >/dev/null
"$BERTH" pull "docker://$BERTH_REG_PROXY/$ns/img:v2" --repo "$tmp/repo-p" --tls-verify=false -q >/dev/null
new_layer=$(jq -r '.layers[2].digest' "$tmp/inspect.json")
layer_gets=$(proxy_log | jq -r '.[] | select(.method == "GET") | .path' | grep -c '/blobs/' || true)
assert_eq "$layer_gets" 2 "blob GETs for v2 after v1 (its config and its one new layer)"
proxy_log | jq -r '.[].path' | grep -q "$new_layer" || fail "the new layer was not fetched"

log "pull by digest, and a digest that does not match is refused"
digest=$(jq -r .digest "$tmp/inspect.json")
c_dig=$("$BERTH" pull "docker://$BERTH_REG_HTTP/$ns/img@$digest" --repo "$tmp/repo-d" --tls-verify=false -q)
[[ "$c_dig" =~ ^[0-9a-f]{64}$ ]] || fail "pull by digest printed '$c_dig'"
v1digest=$(skopeo inspect --tls-verify=false "docker://$BERTH_REG_HTTP/$ns/img:v1" | jq -r .Digest)
rc=0
"$BERTH" inspect "docker://$BERTH_REG_HTTP/$ns/img:v2@$v1digest" --tls-verify=false >"$tmp/out" 2>"$tmp/err" || rc=$?
# tag+digest: the digest wins (containers/image's rule), so this is v1
if [ "$rc" = 0 ]; then
  assert_eq "$(jq -r .digest "$tmp/out")" "$v1digest" "tag@digest resolves by digest"
fi

log "multi-arch index: the platform is chosen by --arch, attestation entries skipped"
fixture=$BERTH_FIXTURES/oci-manifests/oci-layout-multi
[ -d "$fixture" ] || fail "fixture $fixture missing"
skopeo copy -q --all --dest-tls-verify=false "oci:$fixture:3.18.3" \
  "docker://$BERTH_REG_HTTP/$ns/multi:3.18.3"
for arch in amd64 386; do
  inspect "docker://$BERTH_REG_HTTP/$ns/multi:3.18.3" --tls-verify=false --arch "$arch" >"$tmp/m-$arch.json"
  assert_eq "$(jq -r .architecture "$tmp/m-$arch.json")" "$arch" "picked architecture"
done
[ "$(jq -r .digest "$tmp/m-amd64.json")" != "$(jq -r .digest "$tmp/m-386.json")" ] \
  || fail "amd64 and 386 resolved to the same manifest"
inspect "docker://$BERTH_REG_HTTP/$ns/multi:3.18.3" --tls-verify=false --arch x86_64 >"$tmp/m-x.json"
assert_eq "$(jq -r .digest "$tmp/m-x.json")" "$(jq -r .digest "$tmp/m-amd64.json")" "x86_64 is amd64"
rc=0
inspect "docker://$BERTH_REG_HTTP/$ns/multi:3.18.3" --tls-verify=false --arch s390x \
  >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" != 0 ] || fail "an absent architecture was accepted"
assert_contains "$(cat "$tmp/err")" "s390x"

log "a short name without unqualified-search-registries says what to write"
echo 'unqualified-search-registries = []' >"$tmp/registries.conf"
rc=0
CONTAINERS_REGISTRIES_CONF=$tmp/registries.conf "$BERTH" inspect fedora:41 2>"$tmp/err" || rc=$?
assert_eq "$rc" 2 "exit status for an unusable short name"
assert_contains "$(cat "$tmp/err")" "fedora:41"

log "an ostree-format label naming no layer is refused (tests/root/pull-ostree-format.sh imports real ones)"
skopeo copy -q "oci:$tmp/layout:v1" "oci:$tmp/layout:ostreefmt"
umoci config --image "$tmp/layout:ostreefmt" \
  --config.label "ostree.final-diffid=sha256:$(printf '%064d' 0)" >/dev/null
assert_eq "$("$BERTH" inspect "oci:$tmp/layout:ostreefmt" | jq -r .ostreeCommit)" true "ostreeCommit"
rc=0
"$BERTH" pull "oci:$tmp/layout:ostreefmt" --repo "$tmp/repo-ofmt" 2>"$tmp/err" >/dev/null || rc=$?
assert_eq "$rc" 1 "exit status for an ostree-format image"
assert_contains "$(cat "$tmp/err")" "is none of the image's rootfs.diff_ids"
[ ! -d "$tmp/repo-ofmt" ] || assert_eq "$(ostree --repo="$tmp/repo-ofmt" refs)" "" "refs left behind"

log "signed references are refused, not pulled unverified"
rc=0
"$BERTH" pull "ostree-image-signed:docker://$BERTH_REG_HTTP/$ns/img:v1" --repo "$tmp/repo-s" \
  --tls-verify=false 2>"$tmp/err" || rc=$?
[ "$rc" != 0 ] || fail "a signed reference was pulled without verification"
assert_contains "$(cat "$tmp/err")" "does not support yet"
[ ! -d "$tmp/repo-s/refs/heads/ostree" ] || fail "the signed reference left refs behind"

log "pull ok"
