#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: hostA's underlay link (eth0) goes down for 5 s and comes
# back (`ip link set eth0 down/up`). The tunnel passes pings again within
# 10 s of the link coming back; no service crashes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

tb_init
e2e_require_built
fl_two_peers --nat-a cone --nat-b cone

tb_exec hostA ip link set eth0 down
t0=$(tb_now_us)
sleep 5
tb_exec hostA ip link set eth0 up
tb_log "eth0 up again after $(tb_fmt_us $(($(tb_now_us) - t0))) s"
fl_recover "underlay link down 5 s (from link up)" hostA "${E2E_TUN[hostB]}" 10
e2e_ping_soon hostB "${E2E_TUN[hostA]}" || tb_fail "no ping B->A after the link flap"
fl_finish hostB
echo "PASS: the tunnel survives 5 s without the underlay link"
