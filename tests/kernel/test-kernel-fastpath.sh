#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The nftables fast-path test through NetworkManager (tests/e2e/
# test-fastpath.sh: cone NATs select the fast path, pings bypass the proxy,
# a conntrack flush and an ICE restart keep or move it, disconnect leaves no
# table) on kernel WireGuard (NCU_E2E_WG_BACKEND=kernel), in a QEMU guest
# with Debian's kernel.  Slow under TCG: 240-441 s on a host with load
# 10-20 (hence the longer guest timeout).
export NCU_E2E_WG_BACKEND=kernel
export NCU_QEMU_TIMEOUT=${NCU_QEMU_TIMEOUT:-900}
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/qemu-run.sh" bash "$here/../e2e/test-fastpath.sh" "$@"
