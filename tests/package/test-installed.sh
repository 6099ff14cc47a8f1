#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian packages as installed, run for real: unpacks both .debs
# (dpkg-deb -x) into one private root, checks what each package holds and
# that the .name file's program= and plugin= paths point at files of the
# main package (plugin= in the multiarch libdir), then runs, against those
# installed files instead of the build tree (TB_PLUGIN_ROOT, see
# tests/testbed/lib-nm.sh):
#   - tests/e2e/test-two-peers-cone.sh: two peers behind NATs, each with
#     its own NetworkManager, connect and ping;
#   - tests/import/test-nmcli-import.sh: nmcli loads the packaged libnm
#     plugin and imports and exports wg-quick files.
# Needs root (network namespaces) and a build directory (top_builddir) for
# the test bed's helper programs. Called by tools/test-packages.sh.
#   test-installed.sh network-manager-cunicu_*.deb network-manager-cunicu-gnome_*.deb
set -uo pipefail

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_srcdir=$srcdir
export top_builddir=${top_builddir:-$PWD}

fail() { echo "FAIL: $*" >&2; exit 1; }

[ $# -eq 2 ] || fail "usage: $0 MAIN.deb GNOME.deb"
main_deb=$1
gnome_deb=$2
for deb in "$main_deb" "$gnome_deb"; do
	[ -f "$deb" ] || fail "$deb not found"
done
[ "$(id -u)" = 0 ] || fail "must run as root (network namespaces)"
command -v dpkg-deb >/dev/null || fail "dpkg-deb not found: install the Debian package dpkg"
command -v dpkg-architecture >/dev/null || fail "dpkg-architecture not found: install the Debian package dpkg-dev"
[ -x "$top_builddir/tests/tools/ncu-stun-probe" ] ||
	fail "$top_builddir/tests/tools/ncu-stun-probe is not built (make check builds it)"

root=$(mktemp -d /tmp/ncu-pkgroot.XXXXXX) || fail "mktemp failed"
trap 'rm -rf "$root"' EXIT
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
plugindir=/usr/lib/$multiarch/NetworkManager

# contents DEB: the files (not directories) of DEB, as /usr/... paths
contents() {
	dpkg-deb --fsys-tarfile "$1" | tar -t | sed -n 's|^\./|/|; /[^/]$/p' | sort
}
contents "$main_deb" >"$root.main" || fail "cannot list $main_deb"
contents "$gnome_deb" >"$root.gnome" || fail "cannot list $gnome_deb"
trap 'rm -rf "$root" "$root.main" "$root.gnome"' EXIT

# expect LIST FILE...: each FILE is in the package LIST
expect() {
	local list=$1 f
	shift
	for f in "$@"; do
		grep -qxF "$f" "$root.$list" || fail "network-manager-cunicu${list/main/}: $f is missing (it holds: $(tr '\n' ' ' <"$root.$list"))"
	done
}
expect main \
	/usr/bin/nm-cunicu-status \
	/usr/lib/NetworkManager/nm-cunicu-service \
	/usr/lib/NetworkManager/VPN/nm-cunicu-service.name \
	"$plugindir/libnm-vpn-plugin-cunicu.so" \
	/usr/share/dbus-1/system.d/nm-cunicu-service.conf \
	/usr/share/man/man1/nm-cunicu-status.1.gz \
	/usr/share/man/man5/nm-settings-cunicu.5.gz
expect gnome \
	"$plugindir/libnm-gtk4-vpn-plugin-cunicu-editor.so" \
	/usr/share/metainfo/network-manager-cunicu.metainfo.xml
grep -q 'gtk4\|metainfo\|/locale/' "$root.main" && fail "network-manager-cunicu holds GNOME files: $(grep 'gtk4\|metainfo\|/locale/' "$root.main")"
grep -q 'nm-cunicu-service\|nm-cunicu-status\|libnm-vpn-plugin-cunicu\.so' "$root.gnome" &&
	fail "network-manager-cunicu-gnome holds files of network-manager-cunicu"
grep -q '\.la$' "$root.main" "$root.gnome" && fail "a package holds libtool archives (.la)"

depends=$(dpkg-deb -f "$gnome_deb" Depends)
version=$(dpkg-deb -f "$main_deb" Version)
[[ $depends == *"network-manager-cunicu (= $version)"* ]] ||
	fail "network-manager-cunicu-gnome does not depend on network-manager-cunicu (= $version): $depends"
[[ $(dpkg-deb -f "$main_deb" Depends) == *network-manager* ]] || fail "network-manager-cunicu does not depend on network-manager"

dpkg-deb -x "$main_deb" "$root" || fail "dpkg-deb -x $main_deb failed"
dpkg-deb -x "$gnome_deb" "$root" || fail "dpkg-deb -x $gnome_deb failed"

# The .name file as installed: absolute paths to files of the main package.
name=$root/usr/lib/NetworkManager/VPN/nm-cunicu-service.name
program=$(sed -n 's/^program=//p' "$name")
plugin=$(sed -n 's/^plugin=//p' "$name")
[ "$program" = /usr/lib/NetworkManager/nm-cunicu-service ] || fail ".name: program=$program, expected /usr/lib/NetworkManager/nm-cunicu-service"
[ "$plugin" = "$plugindir/libnm-vpn-plugin-cunicu.so" ] || fail ".name: plugin=$plugin, expected $plugindir/libnm-vpn-plugin-cunicu.so"
grep -qxF "$plugin" "$root.main" || fail ".name: plugin=$plugin is not in network-manager-cunicu"
grep -qx 'service=org.freedesktop.NetworkManager.cunicu' "$name" || fail ".name: no service=org.freedesktop.NetworkManager.cunicu"

# Every ELF file finds its libraries on this system.
for f in /usr/bin/nm-cunicu-status /usr/lib/NetworkManager/nm-cunicu-service \
	"$plugindir/libnm-vpn-plugin-cunicu.so" "$plugindir/libnm-gtk4-vpn-plugin-cunicu-editor.so"; do
	missing=$(ldd "$root$f" 2>&1 | grep 'not found')
	[ -z "$missing" ] || fail "$f: $missing"
done
"$root/usr/bin/nm-cunicu-status" --help >/dev/null || fail "the installed nm-cunicu-status --help failed"
echo "# both packages hold what they should; .name points at $plugin"

export TB_PLUGIN_ROOT=$root
status=0
for t in tests/e2e/test-two-peers-cone.sh tests/import/test-nmcli-import.sh; do
	echo "# $t against the installed packages"
	if bash "$srcdir/$t"; then
		echo "# $t: pass"
	else
		echo "# $t: FAIL" >&2
		status=1
	fi
done
[ $status = 0 ] || fail "a test against the installed packages failed"
echo "PASS: the installed packages connect two peers in private NetworkManagers and import wg-quick files"
exit 0
