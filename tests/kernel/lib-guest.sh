# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced first by the tests that drive our WireGuard module directly
# (wg-driver) against the kernel's: runs the test in a QEMU guest
# (lib-qemu.sh), then checks the tools and sets up the driver helpers.

# shellcheck source=lib-qemu.sh
. "$(dirname "$0")/lib-qemu.sh"

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
DRIVER=$top_builddir/tests/wg/wg-driver
# shellcheck source=../wg/lib-wg.sh
. "$top_srcdir/tests/wg/lib-wg.sh"

[ "$(id -u)" = 0 ] || fail "must run as root in the guest"
command -v wg >/dev/null || fail "wg not found: apt-get install wireguard-tools"
command -v nsenter >/dev/null || fail "nsenter not found: apt-get install util-linux"
[ -x "$DRIVER" ] || fail "$DRIVER not built (make check builds it)"

TMP=$(mktemp -d /tmp/ncu-kwg.XXXXXX)
NAMESPACES=()

# guest_cleanup: the EXIT trap: drivers, namespaces, files.
guest_cleanup () {
	local rc=$? ns
	wg_drivers_stop "$rc"
	rc=$STOP_RC
	wait
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
	exit "$rc"
}
trap guest_cleanup EXIT
trap 'exit 1' INT TERM

# add_netns NAME: a namespace with lo up, removed on exit
add_netns () {
	ip netns add "$1" || fail "cannot create namespace $1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}
