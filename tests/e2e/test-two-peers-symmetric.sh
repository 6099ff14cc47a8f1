#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 3, case 2: one peer behind a symmetric NAT. No direct path exists
# (the symmetric NAT maps each destination to another port and both NATs
# filter), so ICE must select a TURN relay; ping within 10 s.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

tb_init
e2e_two_peers symmetric cone

t0=$(tb_now_us)
e2e_up_both
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
echo "first ping A->B after $(tb_fmt_us $(($(tb_now_us) - t0))) s from nmcli up ($took s after both were up)"
e2e_ping_ok hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A"

e2e_status hostA
local_type=$(e2e_peer_field hostA hostB path)
remote_type=$(e2e_peer_field hostA hostB remote-type)
[[ $local_type == relay || $remote_type == relay ]] ||
	tb_fail "hostA reaches hostB over $local_type -> $remote_type, expected a relay"
echo "PASS: a peer behind a symmetric NAT is reached over a relay ($local_type -> $remote_type)"
