#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-kernel-e2e.sh with proxy-mode=nftables: kernel WireGuard sends and
# receives on its own socket towards the remote candidate while the
# connection's nft table rewrites ports (issue 5, sections 1 and 2), in a
# QEMU guest with Debian's kernel.
export NCU_E2E_PROXY_MODE=nftables
exec bash "$(dirname "$0")/test-kernel-e2e.sh" "$@"
