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

t0=$(tb_now_us)
tb_stop_nm hostB
tb_exec hostB ip -br link | grep -q '^ncu-' && tb_fail "hostB's tunnel interface survived the reboot"
tb_start_nm hostB
fl_up_again hostB hostA
echo "RESULT peer reboot: pings pass $FL_PING_TOOK s after nmcli up returned ($FL_UP_TOOK s), $(tb_fmt_us $((FL_PINGED_US - t0))) s after the shutdown began"
fl_finish hostA
echo "PASS: a peer that reboots comes back; hostA follows"
