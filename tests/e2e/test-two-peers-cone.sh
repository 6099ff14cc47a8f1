#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 3, case 1: two peers, each behind its own cone NAT and running its
# own NetworkManager, connect with `nmcli connection up` and ping across the
# tunnel within 10 s over a direct (host or server-reflexive) ICE path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

tb_init
e2e_two_peers cone cone

t0=$(tb_now_us)
e2e_up_both
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
echo "first ping A->B after $(tb_fmt_us $(($(tb_now_us) - t0))) s from nmcli up ($took s after both were up)"
e2e_ping_ok hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A"

e2e_status hostA
path=$(e2e_peer_field hostA hostB path)
[[ $path == srflx || $path == host || $path == prflx ]] ||
	tb_fail "hostA reaches hostB over '$path', expected a direct (host/srflx/prflx) path"
echo "PASS: two peers behind cone NATs ping over a $path path"
