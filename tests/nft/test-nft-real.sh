#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The nft module against the real nft and kernel (tests/nft/nft-real.c),
# inside a network namespace made for this run and deleted on every exit.
# Needs root and nft. Exit 0 pass, 1 fail.

set -u

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
command -v nft >/dev/null || fail "nft is missing: apt-get install nftables"
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
PROG=$top_builddir/tests/nft/nft-real
[ -x "$PROG" ] || fail "$PROG is not built (make check builds it)"

NS=ncu-nftreal-$$
cleanup() {
	ip netns delete "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" || fail "ip netns add $NS"
ip -n "$NS" link set lo up || fail "lo up in $NS"
# shellcheck disable=SC2086 # the wrapper is a command line, split on purpose
ip netns exec "$NS" env NCU_NFT_TEST_NETNS=1 ${NCU_TEST_WRAPPER:-} "$PROG" ||
	fail "nft-real failed"
left=$(ip netns exec "$NS" nft list tables)
[ -z "$left" ] || fail "tables left behind: $left"
echo PASS
