#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian packages, end to end, as root on Debian 12:
#   1. makes the release tarball (make dist, in the build directory) and
#      builds both packages from it with `dpkg-buildpackage -us -uc -b`
#      (installing the packaging tools and build dependencies it lacks);
#   2. checks them with lintian (fails on errors, prints every tag);
#   3. unpacks them into a private root and runs the two-peer test and the
#      nmcli import test against the installed files in the test bed's
#      private NetworkManagers (tests/package/test-installed.sh).
# Nothing is installed into the host's NetworkManager. Ends with PASS or
# FAIL; the packages and logs stay in $NCU_PKGDIR (default: build dir/deb).
#
#   tools/test-packages.sh            build dir: ./_build
#   NCU_BUILDDIR=dir tools/test-packages.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${NCU_BUILDDIR:-$top/_build}
jobs=$(nproc 2>/dev/null || echo 2)

fail() {
	echo "test-packages: $*" >&2
	echo "FAIL: Debian packages"
	exit 1
}
step() { echo "=== test-packages: $*"; }
t0=$(date +%s)

[ "$(id -u)" = 0 ] || fail "must run as root (apt-get, network namespaces)"
"$top/tools/install-deps.sh" all || fail "installing Debian packages failed"

# Packaging tools; the build dependencies come from debian/control below.
missing=()
for p in dpkg-dev debhelper lintian; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	step "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } ||
		fail "apt-get install ${missing[*]} failed"
fi

step "release tarball"
"$top/tools/build.sh" "$builddir" >/dev/null || fail "build failed"
make -C "$builddir" -s dist >"$builddir/dist.out" 2>&1 || { tail -20 "$builddir/dist.out"; fail "make dist failed"; }
# The test bed's STUN probe is a check program.
make -C "$builddir" -s tests/tools/ncu-stun-probe >/dev/null 2>&1 || fail "building tests/tools/ncu-stun-probe failed"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$builddir/config.h")
tarball=$builddir/NetworkManager-cunicu-$version.tar.xz
[ -f "$tarball" ] || fail "make dist made no $tarball"

pkgdir=${NCU_PKGDIR:-$builddir/deb}
rm -rf "$pkgdir"
mkdir -p "$pkgdir"
tar -C "$pkgdir" -xf "$tarball" || fail "cannot unpack $tarball"
src=$pkgdir/NetworkManager-cunicu-$version
[ -x "$src/debian/rules" ] || fail "the tarball has no debian/ (EXTRA_DIST in tests/package/Makefile.inc)"

cd "$src" || exit 1
if ! dpkg-checkbuilddeps >/dev/null 2>&1; then
	step "installing build dependencies"
	DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q "$src" >"$pkgdir/build-dep.log" 2>&1 ||
		{ apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q "$src" >>"$pkgdir/build-dep.log" 2>&1; } ||
		{ tail -20 "$pkgdir/build-dep.log"; fail "apt-get build-dep failed"; }
fi

step "dpkg-buildpackage -us -uc -b (log: $pkgdir/build.log)"
if ! dpkg-buildpackage -us -uc -b -j"$jobs" >"$pkgdir/build.log" 2>&1; then
	tail -40 "$pkgdir/build.log"
	fail "dpkg-buildpackage failed"
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
debversion=$(dpkg-parsechangelog -S Version)
main_deb=$pkgdir/network-manager-cunicu_${debversion}_$arch.deb
gnome_deb=$pkgdir/network-manager-cunicu-gnome_${debversion}_$arch.deb
changes=$pkgdir/network-manager-cunicu_${debversion}_$arch.changes
for f in "$main_deb" "$gnome_deb" "$changes"; do
	[ -f "$f" ] || fail "dpkg-buildpackage made no $f"
done

step "lintian"
cd "$pkgdir" || exit 1
lintian --fail-on error --display-info "$changes" >"$pkgdir/lintian.log" 2>&1
lintian_status=$?
if [ -s "$pkgdir/lintian.log" ]; then
	cat "$pkgdir/lintian.log"
else
	echo "(no tags)"
fi
[ $lintian_status = 0 ] || fail "lintian reports errors"

step "the installed packages in the test bed"
cd "$builddir" || exit 1
top_srcdir=$top top_builddir=$builddir \
	bash "$top/tests/package/test-installed.sh" "$main_deb" "$gnome_deb" ||
	fail "the packages do not work as installed"

echo "PASS: Debian packages ($(($(date +%s) - t0)) s: built, lintian clean of errors, installed files work)"
exit 0
