#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The per-peer data path choice (tests/e2e/test-fastpath-relay.sh: cone
# NATs on the fast path; one NAT turns symmetric and the relayed side goes
# back to the proxy while a peer-reflexive side keeps the fast path; cone
# again, the fast path again) on kernel WireGuard
# (NCU_E2E_WG_BACKEND=kernel), in a QEMU guest with Debian's kernel.
export NCU_E2E_WG_BACKEND=kernel
export NCU_QEMU_TIMEOUT=${NCU_QEMU_TIMEOUT:-900}
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/qemu-run.sh" bash "$here/../e2e/test-fastpath-relay.sh" "$@"
