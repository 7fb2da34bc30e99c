#!/bin/bash
# The Debian package: dpkg-buildpackage -b -us -uc builds berth_VERSION_ARCH.deb from a copy of
# the source (nothing is installed on this machine). Its contents are listed with dpkg-deb -c
# and checked: the program, every man page, the bash completion; its Depends (dh_shlibdeps'
# libraries and the tools berth runs); make install puts the same files in place; and the
# packaged program runs from an extraction.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd dpkg-buildpackage dh dpkg-deb fakeroot
tmp=
mktemp_dir tmp

# the source as a clean checkout has it (tracked and new files, not build output)
mkdir "$tmp/src"
if git -C "$BERTH_TOP" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$BERTH_TOP" && git ls-files -co --exclude-standard -z) \
    | (cd "$BERTH_TOP" && tar --null -cf - -T -) | tar -xf - -C "$tmp/src"
else
  tar -C "$BERTH_TOP" --exclude=./build --exclude='./build-*' -cf - . | tar -xf - -C "$tmp/src"
fi
log "dpkg-buildpackage -b -us -uc"
(cd "$tmp/src" && DEB_BUILD_OPTIONS=parallel=$(nproc) dpkg-buildpackage -b -us -uc) \
  >"$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log" >&2; fail "dpkg-buildpackage failed"; }
version=$(sed -n '1s/^berth (\([^)]*\)).*/\1/p' "$BERTH_TOP/debian/changelog")
deb=$tmp/berth_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $deb; built: $(ls "$tmp")"
grep -q "[0-9] passed, 0 failed" "$tmp/build.log" \
  || fail "the package build did not run the unit tier: $(grep -m1 passed "$tmp/build.log")"

log "contents (dpkg-deb -c)"
dpkg-deb -c "$deb" | tee "$tmp/contents" | sed 's/^/#   /' >&2
for f in ./usr/bin/berth ./usr/share/bash-completion/completions/berth \
  ./usr/share/man/man8/berth.8.gz ./usr/share/doc/berth/copyright; do
  grep -q " $f\$" "$tmp/contents" || fail "the package lacks $f"
done
for page in "$BERTH_TOP"/man/*.8.in; do
  name=$(basename "$page" .in)
  grep -q " ./usr/share/man/man8/$name.gz\$" "$tmp/contents" || fail "the package lacks the man page $name"
done
assert_eq "$(awk '$NF == "./usr/bin/berth" { print $1, $2 }' "$tmp/contents")" "-rwxr-xr-x root/root" \
  "/usr/bin/berth's mode and owner"

log "Depends: $(dpkg-deb -f "$deb" Depends)"
depends=$(dpkg-deb -f "$deb" Depends)
for p in libostree-1-1 libcurl3-gnutls libarchive13 libjansson4 libnettle8 libisal2 libblkid1 \
  libfdisk1 libglib2.0-0 dosfstools e2fsprogs mtools xfsprogs; do
  assert_contains "$depends" "$p" "Depends"
done

log "make install DESTDIR=... PREFIX=/usr installs the same files"
make -C "$tmp/src" install DESTDIR="$tmp/inst" PREFIX=/usr CI= WERROR= >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; fail "make install failed"; }
(cd "$tmp/inst" && find . -type f | sort) >"$tmp/installed"
awk '$1 ~ /^-/ { print $NF }' "$tmp/contents" | grep -v '^\./usr/share/doc/' | sed 's/\.gz$//' | sort >"$tmp/packaged"
diff -u "$tmp/packaged" "$tmp/installed" >&2 || fail "make install and the package install different files"

log "the packaged program runs"
dpkg-deb -x "$deb" "$tmp/root"
assert_contains "$("$tmp/root/usr/bin/berth" --version)" "$version"
man -l "$tmp/root/usr/share/man/man8/berth-install.8.gz" 2>/dev/null | grep -q -- "--via-loopback" \
  || fail "berth-install(8) does not render with --via-loopback in it"
bash -n "$tmp/root/usr/share/bash-completion/completions/berth" || fail "the completion does not parse"
log passed
