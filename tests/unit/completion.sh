#!/bin/bash
# The bash completion (completion/berth.bash), driven as bash drives it: COMP_WORDS split on
# COMP_WORDBREAKS, COMP_LINE and COMP_POINT, then COMPREPLY checked.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
[ -x "$BERTH" ] || fail "$BERTH not built"
tmp=
mktemp_dir tmp
# shellcheck source=completion/berth.bash
. "$BERTH_TOP/completion/berth.bash"

# complete LINE: completes the end of LINE (the berth binary under test as the command)
complete_line ()
{
  local line="$BERTH $1" w
  COMP_LINE=$line
  COMP_POINT=${#line}
  # split as bash does: blanks separate words, ':' and '=' are words of their own
  local -a words=()
  local rest=$line cur=
  while [ -n "$rest" ]; do
    local c=${rest:0:1}
    rest=${rest:1}
    case $c in
      ' ') [ -n "$cur" ] && words+=("$cur"); cur= ;;
      ':' | '=') [ -n "$cur" ] && words+=("$cur"); words+=("$c"); cur= ;;
      *) cur+=$c ;;
    esac
  done
  words+=("$cur")
  COMP_WORDS=("${words[@]}")
  COMP_CWORD=$((${#words[@]} - 1))
  _berth 2>/dev/null
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
expect ()
{
  local line=$1 got
  shift
  got=$(complete_line "$line" | tr '\n' ' ')
  for w in "$@"; do
    case " $got " in *" $w "*) ;; *) fail "completing '$line': '$w' not in: $got" ;; esac
  done
}
expect_not ()
{
  local got
  got=$(complete_line "$1" | tr '\n' ' ')
  case " $got " in *" $2 "*) fail "completing '$1': '$2' should not be offered: $got" ;; esac
}

expect "" inspect pull install kargs kickstart upgrade image help version
expect "image " encapsulate copy
expect "image copy --" --dest-creds --dest-authfile --dest-cert-dir --dest-tls-verify --creds --arch
expect "image copy --dest-tls-verify " true false
expect "image copy d" docker://
expect "image copy oci:x o" oci: oci-archive:
expect "image encapsulate --" --repo --max-layers --label --compression --json --creds
expect "image encapsulate --compression " gzip zstd none
expect "ins" install
expect "help " install kargs kickstart upgrade
expect "install --via" --via-loopback
expect "install --bo" --bootloader --boot-size --boot-mount-spec
expect "install --bootloader " auto systemd-boot grub extlinux none
expect "install --bootloader=sys" systemd-boot
expect "install --filesystem " xfs ext4 btrfs
expect "pull --" --repo --target-imgref --workers --quiet --authfile --creds --tls-verify
expect "kargs --" --sysroot --disk --append --replace
expect "upg" upgrade
expect "upgrade --" --sysroot --disk --check --authfile --creds --cert-dir --tls-verify
expect "upgrade --tls-verify " true false
expect "inspect d" docker://
expect "install ostree-unverified-" ostree-unverified-registry: ostree-unverified-image:
expect_not "install --filesystem " auto
# oci:DIR paths after the transport (bash replaces only what follows the last ':')
mkdir -p "$tmp/layouts/one" "$tmp/layouts/two"
expect "inspect oci:$tmp/layouts/o" "$tmp/layouts/one"
expect "image copy oci:x oci:$tmp/layouts/o" "$tmp/layouts/one"
# the target: files with --via-loopback, directories with --to-filesystem
: >"$tmp/disk.raw"
expect "install oci:x --via-loopback $tmp/di" "$tmp/disk.raw"
expect "install --via-loopback oci:x $tmp/di" "$tmp/disk.raw"
expect "install --ostree-remote-config $tmp/di" "$tmp/disk.raw"
expect "upgrade --disk $tmp/di" "$tmp/disk.raw"
expect "kickstart --" --check --ignore-unknown --json
: >"$tmp/fedora.ks"
expect "kickstart --check $tmp/fed" "$tmp/fedora.ks"
expect "install ostree-remote-" ostree-remote-registry: ostree-remote-image:
expect "install --to-filesystem oci:x $tmp/lay" "$tmp/layouts"
expect "pull --repo $tmp/lay" "$tmp/layouts"
# a value taking option's argument is not counted as a positional
expect "install --karg quiet --stateroot os d" docker://
log passed
