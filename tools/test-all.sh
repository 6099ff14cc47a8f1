#!/bin/bash
# Runs every test of NetworkManager-cunicu on a fresh Debian 12 machine, as root:
# installs the Debian packages it needs, builds with -Werror, runs `make check`
# (unit tests and the network test bed: real NetworkManager, WireGuard,
# coturn, mosquitto and NAT routers in network namespaces), then the Debian
# packages (tools/test-packages.sh) and `make distcheck`. Ends with one line
# "N passed, N failed" and exits non-zero when anything failed.
#
#   tools/test-all.sh            build dir: ./_build
#   NCU_BUILDDIR=dir tools/test-all.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${NCU_BUILDDIR:-$top/_build}
jobs=$(nproc 2>/dev/null || echo 2)

fail_hard() {
	echo "test-all: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[ "$(id -u)" = 0 ] || fail_hard "must run as root (network namespaces, apt-get)"
"$top/tools/install-deps.sh" all || fail_hard "installing Debian packages failed"

"$top/tools/build.sh" "$builddir" > /dev/null || fail_hard "build failed"
# Debian's kernel and busybox for the QEMU guest of the kernel WireGuard
# tests: downloaded and unpacked into a cache, never installed.
"$top/tests/kernel/prepare.sh" > /dev/null || fail_hard "cannot prepare the QEMU guest kernel"
cd "$builddir" || exit 1

make -j"$jobs" check
check_status=$?
[ -f test-suite.log ] || fail_hard "make check produced no test-suite.log"

count() {
	local n
	n=$(sed -n "s/^# $1: *\([0-9]*\)$/\1/p" test-suite.log | head -1)
	echo "${n:-0}"
}
passed=$(( $(count PASS) + $(count XFAIL) ))
failed=$(( $(count FAIL) + $(count ERROR) + $(count XPASS) ))
skipped=$(count SKIP)
if [ "$check_status" != 0 ] && [ "$failed" = 0 ]; then
	failed=1   # make check failed outside any test (a build of test programs)
fi

# The Debian packages: built from the release tarball, lintian, and the
# two-peer test against the installed files (one pass or fail).
echo "=== tools/test-packages.sh"
if NCU_BUILDDIR=$builddir "$top/tools/test-packages.sh" > packages.out 2>&1; then
	grep -E '^[EWIPX]: ' packages.out   # lintian's tags, if any
	tail -1 packages.out
	passed=$((passed + 1))
else
	tail -40 packages.out
	echo "FAIL: Debian packages (log: $builddir/packages.out)"
	failed=$((failed + 1))
fi

# The release tarball must build and pass its unit tests on its own.
echo "=== make distcheck"
if make -j"$jobs" distcheck > distcheck.out 2>&1; then
	echo "PASS: make distcheck"
	passed=$((passed + 1))
else
	tail -40 distcheck.out
	echo "FAIL: make distcheck"
	failed=$((failed + 1))
fi

echo "${passed} passed, ${failed} failed, ${skipped:-0} skipped"
[ "$failed" = 0 ]
