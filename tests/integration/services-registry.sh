#!/bin/bash
# The registry test services work with real clients (skopeo, curl): TLS + basic auth
# (A), plain http (B), token auth (C).
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/services.sh
. "$(dirname "$0")/../lib/services.sh"

need_cmd skopeo umoci curl jq
services_up

work=
mktemp_dir work
layout=$work/layout
build_small_image "$layout" v1 100000
digest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "v1") | .digest' \
  "$layout/index.json")
log "small image: $digest"
repo=berth-test/small
push_image "oci:$layout:v1" "$repo:v1" all

# skopeo_fails WHAT ARGS...: skopeo ARGS must fail; its stderr is left in $work/err
skopeo_fails ()
{
  local what=$1
  shift
  if _skopeo "$@" >"$work/out" 2>"$work/err"; then
    fail "$what: skopeo $* succeeded"
  fi
  log "$what: $(tail -n 1 "$work/err")"
}

inspect_digest ()
{
  _skopeo inspect "$@" | jq -r .Digest
}

# ---- certificate ------------------------------------------------------------

san=$(openssl x509 -in "$BERTH_SERVICES_DIR/certs/server.crt" -noout -ext subjectAltName)
assert_contains "$san" "IP Address:127.0.0.1"
assert_contains "$san" "IP Address:10.0.2.2"
assert_contains "$san" "DNS:localhost"
[ -f "$BERTH_REG_CERTS_DIR/ca.crt" ] || fail "no ca.crt in $BERTH_REG_CERTS_DIR"

# ---- A: TLS + htpasswd ------------------------------------------------------

assert_eq "$(inspect_digest --cert-dir "$BERTH_REG_CERTS_DIR" \
  --creds "$BERTH_REG_USER:$BERTH_REG_PASS" "docker://$BERTH_REG_TLS/$repo:v1")" "$digest" \
  "A: digest with --creds"
assert_eq "$(inspect_digest --cert-dir "$BERTH_REG_CERTS_DIR" --authfile "$BERTH_REG_AUTHFILE" \
  "docker://$BERTH_REG_TLS/$repo:v1")" "$digest" "A: digest with --authfile"

skopeo_fails "A without credentials" inspect --cert-dir "$BERTH_REG_CERTS_DIR" --no-creds \
  "docker://$BERTH_REG_TLS/$repo:v1"
grep -qiE 'unauthorized|401|authentication required' "$work/err" \
  || fail "A without credentials: no 401/unauthorized in: $(cat "$work/err")"

skopeo_fails "A with a wrong password" inspect --cert-dir "$BERTH_REG_CERTS_DIR" \
  --creds "$BERTH_REG_USER:wrong-$BERTH_REG_PASS" "docker://$BERTH_REG_TLS/$repo:v1"
grep -qiE 'unauthorized|401' "$work/err" \
  || fail "A with a wrong password: no 401/unauthorized in: $(cat "$work/err")"

# the CA is per run: without it, TLS verification fails (unless the host trusts it)
skopeo_fails "A without the CA" inspect --cert-dir "$work" \
  --creds "$BERTH_REG_USER:$BERTH_REG_PASS" "docker://$BERTH_REG_TLS/$repo:v1"
grep -qiE 'x509|certificate' "$work/err" \
  || fail "A without the CA: no certificate error in: $(cat "$work/err")"

code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$BERTH_REG_CA" "https://$BERTH_REG_TLS/v2/")
assert_eq "$code" 401 "A: /v2/ without credentials"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$BERTH_REG_CA" \
  -u "$BERTH_REG_USER:$BERTH_REG_PASS" "https://$BERTH_REG_TLS/v2/")
assert_eq "$code" 200 "A: /v2/ with credentials"

# ---- B: plain http, no auth -------------------------------------------------

assert_eq "$(inspect_digest --tls-verify=false "docker://$BERTH_REG_HTTP/$repo:v1")" "$digest" \
  "B: digest"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$BERTH_REG_HTTP/v2/")
assert_eq "$code" 200 "B: /v2/"

# ---- C: token auth ------------------------------------------------------------

before=$(token_stats | jq .issued)
assert_eq "$(inspect_digest --cert-dir "$BERTH_REG_CERTS_DIR" \
  --creds "$BERTH_REG_USER:$BERTH_REG_PASS" "docker://$BERTH_REG_TOKEN/$repo:v1")" "$digest" \
  "C: digest through the token flow"
after=$(token_stats | jq .issued)
[ "$after" -gt "$before" ] || fail "C: skopeo inspect got no token from the realm ($before -> $after)"
grep -q "\"repository:$repo:pull\"" "$BERTH_REG_TOKEN_LOG" \
  || fail "C: the token log has no pull scope for $repo"

skopeo_fails "C with a wrong password" inspect --cert-dir "$BERTH_REG_CERTS_DIR" \
  --creds "$BERTH_REG_USER:wrong" "docker://$BERTH_REG_TOKEN/$repo:v1"
grep -qiE 'unauthorized|401' "$work/err" \
  || fail "C with a wrong password: no 401/unauthorized in: $(cat "$work/err")"

# the challenge
manifest_url=https://$BERTH_REG_TOKEN/v2/$repo/manifests/v1
headers=$(curl -s -o /dev/null -D - --cacert "$BERTH_REG_CA" "$manifest_url" | tr -d '\r')
assert_contains "$headers" " 401"
challenge=$(printf '%s\n' "$headers" | grep -i '^www-authenticate:') \
  || fail "C: no WWW-Authenticate in: $headers"
assert_contains "$challenge" "Bearer "
assert_contains "$challenge" "realm=\"$BERTH_REG_TOKEN_REALM\""
assert_contains "$challenge" "service=\"$BERTH_REG_TOKEN_SERVICE\""
assert_contains "$challenge" "scope=\"repository:$repo:pull\""

# the realm
token_url="$BERTH_REG_TOKEN_REALM?service=$BERTH_REG_TOKEN_SERVICE&scope=repository:$repo:pull"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$BERTH_REG_CA" \
  -u "$BERTH_REG_USER:not-the-password" "$token_url")
assert_eq "$code" 401 "token realm: wrong password"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$BERTH_REG_CA" "$token_url")
assert_eq "$code" 401 "token realm: no credentials"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$BERTH_REG_CA" \
  -u "$BERTH_REG_USER:$BERTH_REG_PASS" "${token_url/service=/service=not-}")
assert_eq "$code" 400 "token realm: wrong service"

reply=$(curl -sf --cacert "$BERTH_REG_CA" -u "$BERTH_REG_USER:$BERTH_REG_PASS" "$token_url") \
  || fail "token realm refused the right password"
token=$(jq -r .token <<<"$reply")
assert_eq "$(jq -r .access_token <<<"$reply")" "$token" "access_token = token"
[ "$(jq -r .expires_in <<<"$reply")" -gt 0 ] || fail "no expires_in in $reply"
jq -e '.issued_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' <<<"$reply" >/dev/null \
  || fail "no issued_at in $reply"
# the JWT's claims
claims=$(cut -d. -f2 <<<"$token" | tr '_-' '/+')
while [ $((${#claims} % 4)) != 0 ]; do claims+='='; done
claims=$(base64 -d <<<"$claims")
assert_eq "$(jq -r .aud <<<"$claims")" "$BERTH_REG_TOKEN_SERVICE" "JWT aud"
assert_eq "$(jq -r .iss <<<"$claims")" "$BERTH_REG_TOKEN_ISSUER" "JWT iss"
assert_eq "$(jq -c '.access' <<<"$claims")" "[{\"type\":\"repository\",\"name\":\"$repo\",\"actions\":[\"pull\"]}]" \
  "JWT access"

# the registry accepts it
got=$(curl -s -o /dev/null -D - --cacert "$BERTH_REG_CA" -H "Authorization: Bearer $token" \
  -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$manifest_url" | tr -d '\r')
assert_contains "$got" " 200"
assert_contains "$(grep -i '^docker-content-digest:' <<<"$got")" "$digest"
# a token for another repository is not enough
other=$(curl -sf --cacert "$BERTH_REG_CA" -u "$BERTH_REG_USER:$BERTH_REG_PASS" \
  "${token_url/$repo/berth-test/other}" | jq -r .token)
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$BERTH_REG_CA" \
  -H "Authorization: Bearer $other" "$manifest_url")
assert_eq "$code" 401 "C: a token scoped to another repository"

# a token with hard_expiry stops working after expires_in (the registry itself allows
# 60 s of leeway after exp, which hard_expiry compensates for)
token_config '{"expires_in": 1, "hard_expiry": true}' >/dev/null
on_exit token_reset
short=$(curl -sf --cacert "$BERTH_REG_CA" -u "$BERTH_REG_USER:$BERTH_REG_PASS" "$token_url" | jq -r .token)
token_reset
sleep 1.2
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$BERTH_REG_CA" \
  -H "Authorization: Bearer $short" "$manifest_url")
assert_eq "$code" 401 "C: an expired token"

# ---- the real test image, when asked for ------------------------------------

if [ "${BERTH_FULL_IMAGE:-}" = 1 ] && [ -x "$BERTH_TOP/images/test-image" ]; then
  full=$("$BERTH_TOP/images/test-image") || fail "images/test-image failed"
  push_image "oci:$full:tiny" berth-test/os:tiny all
  for ref in "$BERTH_REG_TLS" "$BERTH_REG_TOKEN"; do
    _skopeo inspect --cert-dir "$BERTH_REG_CERTS_DIR" --authfile "$BERTH_REG_AUTHFILE" \
      "docker://$ref/berth-test/os:tiny" >/dev/null || fail "the tiny test image is not in $ref"
  done
  _skopeo inspect --tls-verify=false "docker://$BERTH_REG_HTTP/berth-test/os:tiny" >/dev/null \
    || fail "the tiny test image is not in B"
fi

log "ok"
