#!/bin/bash
# Registry test services for berth's tests.  Source after common.sh.
#
#   services_up                     start (or reuse) the services and export their
#                                   variables (tests/services/README.md lists them)
#   push_image SRC NAME:TAG [A|B|C|all] [SKOPEO_ARGS...]
#                                   skopeo copy SRC (e.g. oci:LAYOUT:TAG) into instance(s)
#   build_small_image LAYOUT TAG [RANDOM_BYTES]
#                                   a small OCI image made with umoci
#   proxy_fault JSON                add fault(s) to the fault proxy; prints the ids
#   proxy_clear                     remove all faults and clear the proxy's request log
#   proxy_log                       the proxy's request log (JSON array)
#   token_config [JSON]             show / change the token realm's settings
#   token_reset                     token realm back to its start-up settings, counters zeroed
#   token_stats                     {"requests", "issued", "rejected"}
# shellcheck disable=SC2034  # variables here are used by the tests that source this file

_berth_svc_tools=$BERTH_TOP/tests/services

# services_up: when $BERTH_SERVICES_ENV names the env file of live services (the runner
# starts one set for a whole run), use them; else start a private set in a temp dir,
# stopped when the test exits.
services_up ()
{
  need_cmd docker-registry openssl htpasswd curl
  if [ -n "${BERTH_SERVICES_ENV:-}" ] && [ -f "$BERTH_SERVICES_ENV" ]; then
    local sdir
    sdir=$(dirname "$BERTH_SERVICES_ENV")
    if "$_berth_svc_tools/status" "$sdir" 2>/dev/null; then
      # shellcheck source=/dev/null
      . "$BERTH_SERVICES_ENV"
      log "using the running services of $BERTH_SERVICES_ENV"
      return 0
    fi
    log "services of $BERTH_SERVICES_ENV are not alive; starting private ones"
  fi
  local dir
  mktemp_dir dir
  # registered after mktemp_dir, so it runs before the directory is removed
  on_exit "_services_down '$dir/services'"
  "$_berth_svc_tools/up" "$dir/services" \
    || fail "could not start the registry test services (tests/services/up)"
  # shellcheck source=/dev/null
  . "$dir/services/env"
}

_services_down ()
{
  # rc is the exit status of the test, a local of common.sh's exit trap: on failure
  # show what the services logged, before their directory goes away.
  # shellcheck disable=SC2154
  if [ "${rc:-0}" != 0 ] && [ "${rc:-0}" != 77 ] && [ -d "$1/logs" ]; then
    local f
    for f in "$1"/logs/{registry-a,registry-b,registry-c,token,proxy}.log; do
      [ -f "$f" ] || continue
      printf '# --- last lines of %s\n' "$f" >&2
      tail -n 8 "$f" | cut -c1-400 | sed 's/^/# /' >&2
    done
  fi
  "$_berth_svc_tools/down" "$1"
}

# _skopeo ARGS...: skopeo with the services' trust policy and no user configuration
_skopeo ()
{
  skopeo --policy "$BERTH_REG_POLICY" "$@"
}

# push_image SRC NAME:TAG [A|B|C|all] [SKOPEO_COPY_ARGS...]
push_image ()
{
  local src=$1 ref=$2 which=${3:-all} t
  shift "$(($# < 3 ? $# : 3))"
  need_cmd skopeo
  case $which in
    all) which="A B C" ;;
    A | B | C) ;;
    *) fail "push_image: instance must be A, B, C or all, not '$which'" ;;
  esac
  for t in $which; do
    case $t in
      A) _skopeo copy --quiet --preserve-digests "$@" --dest-cert-dir "$BERTH_REG_CERTS_DIR" \
           --dest-creds "$BERTH_REG_USER:$BERTH_REG_PASS" "$src" "docker://$BERTH_REG_TLS/$ref" ;;
      B) _skopeo copy --quiet --preserve-digests "$@" --dest-tls-verify=false \
           "$src" "docker://$BERTH_REG_HTTP/$ref" ;;
      C) _skopeo copy --quiet --preserve-digests "$@" --dest-cert-dir "$BERTH_REG_CERTS_DIR" \
           --dest-creds "$BERTH_REG_USER:$BERTH_REG_PASS" "$src" "docker://$BERTH_REG_TOKEN/$ref" ;;
    esac || fail "push_image: skopeo copy $src to instance $t ($ref) failed"
  done
}

# build_small_image LAYOUT TAG [RANDOM_BYTES]: an OCI image (one layer: /etc/os-release,
# /usr/share/berth-test/payload of RANDOM_BYTES random bytes, default 300000), unprivileged.
# The layer is made by GNU tar and added with `umoci raw add-layer`: umoci 0.4.7's
# `insert --rootless` writes a truncated tar for files of this size. LAYOUT is created if
# needed.
build_small_image ()
{
  local layout=$1 tag=$2 size=${3:-300000} src
  need_cmd umoci
  [ -f "$layout/oci-layout" ] || umoci init --layout "$layout" || fail "umoci init failed"
  umoci new --image "$layout:$tag" || fail "umoci new failed"
  src=$(mktemp -d "${TMPDIR:-/tmp}/berth-image-src.XXXXXX")
  mkdir -p "$src/root/etc" "$src/root/usr/share/berth-test"
  printf 'ID=berth-test\nNAME="berth small test image"\nVERSION_ID=%s\n' "$tag" \
    >"$src/root/etc/os-release"
  head -c "$size" /dev/urandom >"$src/root/usr/share/berth-test/payload"
  tar -C "$src/root" --numeric-owner --owner=0 --group=0 -cf "$src/layer.tar" etc usr \
    || { rm -rf "$src"; fail "tar failed"; }
  umoci raw add-layer --image "$layout:$tag" "$src/layer.tar" >/dev/null \
    || { rm -rf "$src"; fail "umoci raw add-layer failed"; }
  rm -rf "$src"
  umoci gc --layout "$layout" || fail "umoci gc failed"
}

# _ctl WHAT URL METHOD [BODY]: a control request that must answer 200; prints the body.
# On error it prints FAIL and returns 1 rather than exiting, so that it may run in an
# on_exit cleanup (an exit there would skip the remaining cleanups); under set -e a
# failure still ends the test.
_ctl ()
{
  local what=$1 url=$2 method=$3 out code
  local args=(-sS --max-time 10 --cacert "$BERTH_REG_CA" -X "$method" -w '\n%{http_code}')
  [ $# -lt 4 ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
  if ! out=$(curl "${args[@]}" "$url"); then
    printf 'FAIL: %s: %s %s: curl failed\n' "$what" "$method" "$url" >&2
    return 1
  fi
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  if [ "$code" != 200 ]; then
    printf 'FAIL: %s: %s %s answered %s: %s\n' "$what" "$method" "$url" "$code" "$out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# PROXY=$BERTH_REG_TOKEN_PROXY proxy_fault ... talks to the proxy in front of C instead.
_proxy_ctl () { _ctl "fault proxy" "http://${PROXY:-$BERTH_REG_PROXY}$2" "$1" "${@:3}"; }
proxy_fault () { _proxy_ctl POST /__fault "$1"; }
proxy_clear () { _proxy_ctl DELETE /__fault >/dev/null; }
proxy_log () { _proxy_ctl GET /__fault/log; }

_token_ctl () { _ctl "token realm" "$BERTH_REG_TOKEN_CONTROL$2" "$1" "${@:3}"; }

token_config ()
{
  if [ $# -gt 0 ]; then _token_ctl POST /__config "$1"; else _token_ctl GET /__config; fi
}
token_reset () { _token_ctl DELETE /__config >/dev/null && _token_ctl DELETE /__stats >/dev/null; }
token_stats () { _token_ctl GET /__stats; }
