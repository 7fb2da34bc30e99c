#!/bin/bash
# berth image copy against the real registries of tests/services: an oci: layout pushed with
# password auth (TLS, Basic) and with a Bearer token, read back by berth and skopeo with the
# same manifest digest; a second push that uploads nothing; registry to oci: and to
# oci-archive:; a push by digest; an upload that fails once and is restarted; and the
# refusals: a wrong password and a corrupt blob push nothing that names the image.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
need_cmd skopeo umoci jq curl
[ -x "$BERTH" ] || fail "$BERTH not built"
services_up
export BERTH_RETRY_BASE_MS=50

tmp=
mktemp_dir tmp
ns="copy-$$"
src_tls=(--cert-dir "$BERTH_REG_CERTS_DIR" --creds "$BERTH_REG_USER:$BERTH_REG_PASS")
dest_tls=(--dest-cert-dir "$BERTH_REG_CERTS_DIR" --dest-creds "$BERTH_REG_USER:$BERTH_REG_PASS")
on_exit proxy_clear

build_small_image "$tmp/layout" v1 200000
digest=$("$BERTH" inspect "oci:$tmp/layout:v1" | jq -r .digest)
n_blobs=$(($("$BERTH" inspect "oci:$tmp/layout:v1" | jq '.layers | length') + 1))

# registry_has REGISTRY REPO REF: the registry (A, with the test CA and password) answers 200
# for the manifest REF, or a blob when REF is a digest of one
registry_has ()
{
  local kind=manifests
  [ "${4:-}" = blob ] && kind=blobs
  [ "$(curl -s -o /dev/null -w '%{http_code}' -I --cacert "$BERTH_REG_CA" \
    -u "$BERTH_REG_USER:$BERTH_REG_PASS" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "https://$1/v2/$2/$kind/$3")" = 200 ]
}

log "oci: to docker:// over TLS with Basic auth"
out=$("$BERTH" image copy "oci:$tmp/layout:v1" "docker://$BERTH_REG_TLS/$ns/img:v1" \
  "${dest_tls[@]}" 2>"$tmp/err")
assert_eq "$out" "$digest" "the digest printed"
assert_contains "$(cat "$tmp/err")" "$n_blobs blobs written"
assert_eq "$("$BERTH" inspect "docker://$BERTH_REG_TLS/$ns/img:v1" "${src_tls[@]}" | jq -r .digest)" \
  "$digest" "manifest digest as berth reads it back"
assert_eq "$(skopeo inspect --cert-dir "$BERTH_REG_CERTS_DIR" \
  --creds "$BERTH_REG_USER:$BERTH_REG_PASS" "docker://$BERTH_REG_TLS/$ns/img:v1" | jq -r .Digest)" \
  "$digest" "manifest digest as skopeo reads it"
registry_has "$BERTH_REG_TLS" "$ns/img" v1 || fail "registry_has does not see the pushed tag"
config=$("$BERTH" inspect "oci:$tmp/layout:v1" --raw | jq -r .config.digest)
registry_has "$BERTH_REG_TLS" "$ns/img" "$config" blob || fail "registry_has does not see a blob"
commit=$("$BERTH" pull "docker://$BERTH_REG_TLS/$ns/img:v1" --repo "$tmp/repo" -q "${src_tls[@]}")
[[ "$commit" =~ ^[0-9a-f]{64}$ ]] || fail "pull of the pushed image printed '$commit'"
meta=$(ostree --repo="$tmp/repo" show --print-metadata-key=ostree.manifest-digest "$commit")
assert_contains "$meta" "$digest"

log "a second push uploads nothing: every blob is there"
"$BERTH" image copy "oci:$tmp/layout:v1" "docker://$BERTH_REG_TLS/$ns/img:v1" "${dest_tls[@]}" \
  >/dev/null 2>"$tmp/err"
assert_contains "$(cat "$tmp/err")" "0 blobs written (0 bytes), $n_blobs already there, 1 manifest"

log "a Bearer-token registry: the push asks for the pull,push scope"
token_reset >/dev/null
"$BERTH" image copy "oci:$tmp/layout:v1" "docker://$BERTH_REG_TOKEN/$ns/img:v1" -q \
  --dest-cert-dir "$BERTH_REG_CERTS_DIR" --dest-authfile "$BERTH_REG_AUTHFILE" >/dev/null
grep -q "repository:$ns/img:pull,push" "$BERTH_REG_TOKEN_LOG" \
  || fail "no token was asked for repository:$ns/img:pull,push"
assert_eq "$(token_stats | jq -r .issued)" 1 "tokens issued for one push"

log "docker:// to oci: and to oci-archive:, read by berth and by skopeo"
"$BERTH" image copy "docker://$BERTH_REG_TLS/$ns/img:v1" "oci:$tmp/copy:c1" "${src_tls[@]}" -q \
  >/dev/null
assert_eq "$("$BERTH" inspect "oci:$tmp/copy:c1" | jq -r .digest)" "$digest" "oci: copy (berth)"
assert_eq "$(skopeo inspect "oci:$tmp/copy:c1" | jq -r .Digest)" "$digest" "oci: copy (skopeo)"
"$BERTH" image copy "docker://$BERTH_REG_TLS/$ns/img:v1" "oci-archive:$tmp/copy.tar:c2" \
  "${src_tls[@]}" -q >/dev/null
assert_eq "$("$BERTH" inspect "oci-archive:$tmp/copy.tar:c2" | jq -r .digest)" "$digest" \
  "oci-archive: copy (berth)"
assert_eq "$(skopeo inspect "oci-archive:$tmp/copy.tar:c2" | jq -r .Digest)" "$digest" \
  "oci-archive: copy (skopeo)"
# and the archive's layers are whole: skopeo copies it on to a layout of its own
skopeo copy -q "oci-archive:$tmp/copy.tar:c2" "oci:$tmp/from-archive:x"
assert_eq "$("$BERTH" inspect "oci:$tmp/from-archive:x" | jq -r .digest)" "$digest" "archive via skopeo"

log "registry to registry, push by digest, on plain http"
"$BERTH" image copy "docker://$BERTH_REG_TLS/$ns/img:v1" "docker://$BERTH_REG_HTTP/$ns/bydigest@$digest" \
  "${src_tls[@]}" --dest-tls-verify=false -q >/dev/null
# (skopeo inspect without --raw lists the tags, and this repository has none)
assert_eq "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$BERTH_REG_HTTP/$ns/bydigest@$digest" \
  | sha256sum | cut -d' ' -f1)" "$digest" "pushed by digest"
rc=0
"$BERTH" image copy "oci:$tmp/layout:v1" \
  "docker://$BERTH_REG_HTTP/$ns/bydigest@sha256:$(printf '%064d' 0)" --dest-tls-verify=false \
  2>"$tmp/err" || rc=$?
assert_eq "$rc" 2 "exit status for a destination digest that is not the image's"
assert_contains "$(cat "$tmp/err")" "names the digest sha256:0000"

log "an upload answered 503 starts over with a new upload"
proxy_clear
proxy_fault '{"kind":"status","status":503,"method":"PUT","path":"/blobs/uploads/","times":1}' >/dev/null
"$BERTH" image copy "oci:$tmp/layout:v1" "docker://$BERTH_REG_PROXY/$ns/retry:v1" \
  --dest-tls-verify=false -q >/dev/null
proxy_log >"$tmp/log.json"
assert_eq "$(jq '[.[] | select(.method == "POST")] | length' "$tmp/log.json")" "$((n_blobs + 1))" \
  "upload sessions (one restarted)"
assert_eq "$(jq '[.[] | select(.method == "PUT" and .status == 201)] | length' "$tmp/log.json")" \
  "$((n_blobs + 1))" "blob and manifest PUTs that succeeded"
assert_eq "$(skopeo inspect --tls-verify=false "docker://$BERTH_REG_HTTP/$ns/retry:v1" | jq -r .Digest)" \
  "$digest" "the image after a restarted upload"
proxy_clear

log "wrong password: clear error naming the credentials, nothing pushed"
rc=0
"$BERTH" image copy "oci:$tmp/layout:v1" "docker://$BERTH_REG_TLS/$ns/denied:v1" \
  --dest-cert-dir "$BERTH_REG_CERTS_DIR" --dest-creds "$BERTH_REG_USER:not-the-password" \
  2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "exit status for a refused password"
assert_contains "$(cat "$tmp/err")" "refused access to $ns/denied"
assert_contains "$(cat "$tmp/err")" "with user '$BERTH_REG_USER' from --dest-creds"
assert_contains "$(cat "$tmp/err")" "check --dest-creds"
grep -q "not-the-password" "$tmp/err" && fail "the password appeared in the error"
registry_has "$BERTH_REG_TLS" "$ns/denied" v1 && fail "a refused push left a tag"
registry_has "$BERTH_REG_TLS" "$ns/denied" "$config" blob && fail "a refused push left a blob"
# an auth file without an entry for the registry: the message says which file
echo '{"auths": {}}' >"$tmp/empty-auth.json"
rc=0
"$BERTH" image copy "oci:$tmp/layout:v1" "docker://$BERTH_REG_TLS/$ns/denied:v1" \
  --dest-cert-dir "$BERTH_REG_CERTS_DIR" --dest-authfile "$tmp/empty-auth.json" \
  2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "exit status without credentials"
assert_contains "$(cat "$tmp/err")" "requires credentials; give --dest-creds"

log "a corrupt blob in the layout is refused, naming it; no manifest is pushed"
cp -a "$tmp/layout" "$tmp/bad"
manifest=$tmp/bad/blobs/sha256/${digest#sha256:}
layer=$(jq -r '.layers[-1].digest' "$manifest")
printf 'X' | dd of="$tmp/bad/blobs/sha256/${layer#sha256:}" bs=1 seek=5000 conv=notrunc 2>/dev/null
rc=0
"$BERTH" image copy "oci:$tmp/bad:v1" "docker://$BERTH_REG_TLS/$ns/corrupt:v1" "${dest_tls[@]}" \
  2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "exit status for a corrupt blob"
assert_contains "$(cat "$tmp/err")" "Blob $layer"
assert_contains "$(cat "$tmp/err")" "expected digest"
registry_has "$BERTH_REG_TLS" "$ns/corrupt" v1 && fail "the manifest of a corrupt image was pushed"
registry_has "$BERTH_REG_TLS" "$ns/corrupt" "$layer" blob && fail "the corrupt blob was stored"
# the same to a layout and to an archive: nothing names it there either
rc=0
"$BERTH" image copy "oci:$tmp/bad:v1" "oci-archive:$tmp/bad.tar" 2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "exit status for a corrupt blob into an archive"
[ ! -e "$tmp/bad.tar" ] || fail "an archive of a corrupt image was left"

log "destinations berth does not write"
rc=0
"$BERTH" image copy "oci:$tmp/layout:v1" "ostree-unverified-registry:$BERTH_REG_TLS/$ns/x:v1" \
  2>"$tmp/err" || rc=$?
assert_eq "$rc" 2 "exit status for an ostree- destination"
assert_contains "$(cat "$tmp/err")" "ostree- prefix"

log "the berth image group: help and usage errors"
"$BERTH" image --help >"$tmp/out"
assert_contains "$(cat "$tmp/out")" "Subcommands:"
assert_contains "$(cat "$tmp/out")" "  copy "
"$BERTH" help image copy >"$tmp/out"
assert_contains "$(cat "$tmp/out")" "berth image copy [OPTION"
assert_contains "$(cat "$tmp/out")" "--dest-creds"
"$BERTH" image help copy >"$tmp/out"
assert_contains "$(cat "$tmp/out")" "--dest-tls-verify"
for args in "" "frobnicate" "copy" "copy oci:$tmp/layout:v1" "copy --frobnicate a b"; do
  rc=0
  # shellcheck disable=SC2086  # each case is a word list
  "$BERTH" image $args >/dev/null 2>"$tmp/err" || rc=$?
  assert_eq "$rc" 2 "exit status of 'berth image $args'"
done
assert_contains "$(cat "$tmp/err")" "berth help image copy"

log "image copy ok"
