#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 3, case 3: one peer comes up 20 s after the other. The first peer's
# offer waits retained on the broker; the second finds it and the tunnel
# passes pings within 10 s of the second `nmcli connection up`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-e2e.sh"

tb_init
e2e_two_peers cone cone

e2e_up hostA
sleep "${E2E_LATE_SECONDS:-20}"
t0=$(tb_now_us)
e2e_up hostB
took=$(e2e_wait_ping hostB "${E2E_TUN[hostA]}" 10)
echo "first ping B->A $(tb_fmt_us $(($(tb_now_us) - t0))) s after the late peer's nmcli up"
e2e_ping_ok hostA "${E2E_TUN[hostB]}" || tb_fail "no ping A->B"
echo "PASS: a peer that comes up ${E2E_LATE_SECONDS:-20} s later connects through the retained offer"
