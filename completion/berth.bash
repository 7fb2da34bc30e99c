# bash completion for berth(8): commands, each command's options (read from its --help, so
# they never drift from the program), option values, image transports, and for `berth install`
# the target: block devices, or files with --via-loopback, directories with --to-filesystem.
# Self-contained: bash-completion's helpers are not required.

# The options of one command, "--name" or "--name=" (takes a value), from its --help.
_berth_options ()
{
  # shellcheck disable=SC2086  # "image encapsulate": a group and its subcommand
  "$1" $2 --help 2>/dev/null \
    | sed -n 's/^ *\(-[A-Za-z], \)\{0,1\}\(--[A-Za-z0-9-]*\)\(=\)\{0,1\}.*/\2\3/p'
}

# Whole disks (and loop devices), as install targets.
_berth_block_devices ()
{
  lsblk -dpno NAME,TYPE 2>/dev/null | while read -r name type; do
    case $type in disk | loop) printf '%s\n' "$name" ;; esac
  done
}

_berth_image_transports ()
{
  printf '%s\n' docker:// oci: oci-archive: ostree-unverified-registry: ostree-unverified-image: \
    ostree-remote-registry: ostree-remote-image:
}

_berth ()
{
  local berth=${COMP_WORDS[0]} cur prev cmd='' i w n_pos=0 opts arg_opts mode='' ci
  COMPREPLY=()
  # The words, split on blanks only: bash's COMP_WORDS also splits on ':' and '=', and an image
  # reference has colons. words[ci] is the one being completed ("" after a blank).
  local -a words all
  read -r -a words <<<"${COMP_LINE:0:COMP_POINT}"
  [[ ${COMP_LINE:0:COMP_POINT} =~ [[:space:]]$ ]] && words+=("")
  read -r -a all <<<"$COMP_LINE"
  ci=$((${#words[@]} - 1))
  cur=${words[ci]}
  prev=${words[ci - 1]:-}
  if [[ $cur == --*=* ]]; then
    # --opt=VALUE: complete VALUE for --opt
    prev=${cur%%=*}
    cur=${cur#*=}
  fi

  for ((i = 1; i < ci; i++)); do
    w=${words[i]}
    case $w in -*) ;; *) cmd=$w; break ;; esac
  done
  if [ -z "$cmd" ]; then
    mapfile -t COMPREPLY < <(compgen -W "inspect pull install kargs kickstart upgrade image help version --help --version" -- "$cur")
    return 0
  fi
  if [ "$cmd" = image ]; then
    # the subcommand, from the group's own help
    local subs sub=''
    subs=$("$berth" image --help 2>/dev/null | sed -n '/^Subcommands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
    for ((i = i + 1; i < ci; i++)); do
      case ${words[i]} in -*) ;; *) sub=${words[i]}; break ;; esac
    done
    if [ -z "$sub" ]; then
      mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
      return 0
    fi
    cmd="image $sub"
  fi
  if [ "$cmd" = help ]; then
    mapfile -t COMPREPLY < <(compgen -W "inspect pull install kargs kickstart upgrade image version" -- "$cur")
    return 0
  fi

  opts=$(_berth_options "$berth" "$cmd")
  arg_opts=" $(printf '%s\n' "$opts" | sed -n 's/=$//p' | tr '\n' ' ') "

  # an option's value
  case " $arg_opts " in
    *" $prev "*)
      case $prev in
        --repo | --cert-dir | --dest-cert-dir | --sysroot) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        --authfile | --dest-authfile | --root-ssh-authorized-keys | --ostree-remote-config) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
        --disk) mapfile -t COMPREPLY < <(compgen -W "$(_berth_block_devices)" -- "$cur"; compgen -f -- "$cur") ;;
        --filesystem) mapfile -t COMPREPLY < <(compgen -W "xfs ext4 btrfs" -- "$cur") ;;
        --bootloader) mapfile -t COMPREPLY < <(compgen -W "auto systemd-boot grub extlinux none" -- "$cur") ;;
        --firmware) mapfile -t COMPREPLY < <(compgen -W "auto uefi bios both" -- "$cur") ;;
        --compression) mapfile -t COMPREPLY < <(compgen -W "gzip zstd none" -- "$cur") ;;
        --tls-verify | --dest-tls-verify) mapfile -t COMPREPLY < <(compgen -W "true false" -- "$cur") ;;
        --arch) mapfile -t COMPREPLY < <(compgen -W "amd64 arm64 x86_64 aarch64" -- "$cur") ;;
        --target-imgref) mapfile -t COMPREPLY < <(compgen -W "$(_berth_image_transports)" -- "$cur") ;;
      esac
      _berth_trim_breaks "$cur"
      return 0
      ;;
  esac

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(printf '%s\n' "$opts" | sed 's/=$//')" -- "$cur")
    return 0
  fi

  # the positional arguments before this one, skipping option values
  for ((i = i + 1; i < ci; i++)); do
    w=${words[i]}
    case $w in
      --*=*) ;;
      -*) case " $arg_opts " in *" $w "*) i=$((i + 1)) ;; esac ;;
      *) n_pos=$((n_pos + 1)) ;;
    esac
  done
  # the target's kind, wherever on the line the option is
  for w in "${all[@]}"; do
    case $w in --via-loopback) mode='file' ;; --to-filesystem) mode='dir' ;; esac
  done

  case "$cmd:$n_pos" in
    inspect:0 | pull:0 | install:0 | 'image copy:0' | 'image copy:1')
      case $cur in
        oci:* | oci-archive:*)
          local t=${cur%%:*}:
          mapfile -t COMPREPLY < <(compgen -f -- "${cur#"$t"}" | sed "s|^|$t|")
          ;;
        *) mapfile -t COMPREPLY < <(compgen -W "$(_berth_image_transports)" -- "$cur") ;;
      esac
      compopt -o nospace 2>/dev/null
      ;;
    kickstart:0) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    install:1)
      case $mode in
        file) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
        dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        *) mapfile -t COMPREPLY < <(compgen -W "$(_berth_block_devices)" -- "$cur") ;;
      esac
      ;;
  esac
  _berth_trim_breaks "$cur"
  return 0
}

# bash replaces only the part of the word after its last ':' or '=' (COMP_WORDBREAKS):
# strip what comes before from every candidate.
_berth_trim_breaks ()
{
  local word=$1 prefix i
  [[ $word == *[:=]* ]] || return 0
  prefix=${word%"${word##*[:=]}"}
  for i in "${!COMPREPLY[@]}"; do
    COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
  done
}

complete -F _berth berth
