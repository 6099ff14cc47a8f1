#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: hostA's NetworkManager is stopped (SIGTERM; like a real
# shutdown it leaves the VPN to its service, which sees it leave the bus and
# tears down) and started again. No orphan remains: no process in hostA's
# network namespace, no tunnel interface, no nftables table of ours, no
# retained message of hostA on the broker. Then the profile comes up again
# and the tunnel passes pings within 10 s.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

# orphans: what of ours is left in hostA's network namespace
orphans() {
	local ns
	ns=$(tb_ns hostA)
	# a running NetworkManager's own processes are not orphans
	ip netns pids "$ns" | while read -r pid; do
		echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	done | grep -vE 'nm-init\.sh|dbus-daemon --nofork|NetworkManager --no-daemon' || true
	tb_exec hostA ip -br link | awk '$1 ~ /^ncu-/ { print "interface " $1 }'
	# the test bed's own firewall is "inet ncutb"; anything else is ours
	tb_exec hostA nft list tables | grep -v "^table inet $TB_PREFIX\$" | sed 's/^/nft /'
	fl_retained_from "${E2E_PUB[hostA]}" | sed 's/^/retained /'
}
no_orphans() {
	[[ -z $(orphans) ]]
}

tb_init
e2e_require_built
tb_require mosquitto_sub nft
fl_two_peers --nat-a cone --nat-b cone
tb_wait_until 5 "hostA's retained offer" fl_has_retained "${E2E_PUB[hostA]}"

t0=$(tb_now_us)
tb_stop_nm hostA
echo "RESULT NetworkManager stop: its namespaces gone after $(tb_fmt_us $(($(tb_now_us) - t0))) s"
if ! fl_poll 5 no_orphans; then
	orphans >&2
	tb_fail "hostA's NetworkManager left orphans (above)"
fi
echo "PASS: nothing of hostA's VPN is left after NetworkManager stopped"

tb_start_nm hostA
no_orphans || { orphans >&2; tb_fail "orphans after NetworkManager started again (above)"; }
t1=$(tb_now_us)
fl_up_again hostA hostB
echo "RESULT NetworkManager stop/start: pings pass $FL_PING_TOOK s after nmcli up returned ($(tb_fmt_us $((FL_PINGED_US - t1))) s after nmcli up began)"
fl_same_service hostB
fl_no_crash
echo "PASS: NetworkManager stopped and started leaves no orphan; the VPN comes back"
