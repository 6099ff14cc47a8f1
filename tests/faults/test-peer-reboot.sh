#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: hostB "reboots": its NetworkManager stops (taking the
# VPN, the service and everything in its namespaces with it) and starts
# again from its stored profiles; `nmcli connection up` there, and the
# tunnel passes pings within 10 s; hostA's service follows without crashing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

tb_init
e2e_require_built
fl_two_peers --nat-a cone --nat-b cone
svc_a=$(fl_service_pid hostA)

t0=$(tb_now_us)
tb_stop_nm hostB
tb_exec hostB ip -br link | grep -q '^ncu-' && tb_fail "hostB's tunnel interface survived the reboot"
tb_start_nm hostB
t1=$(tb_now_us)
e2e_up hostB
up_took=$(tb_fmt_us $(($(tb_now_us) - t1)))
took=$(e2e_wait_ping hostB "${E2E_TUN[hostA]}" 10)
echo "RESULT peer reboot: pings pass $took s after nmcli up returned ($up_took s), $(tb_fmt_us $(($(tb_now_us) - t0))) s after the shutdown began"
e2e_ping_ok hostA "${E2E_TUN[hostB]}" || tb_fail "no ping A->B"
fl_same_service hostA "$svc_a"
fl_no_crash
e2e_status hostA
echo "PASS: a peer that reboots comes back; hostA follows"
