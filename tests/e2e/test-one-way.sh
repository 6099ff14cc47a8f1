#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The liveness watchdog (src/ncu-liveness.h) on one-way traffic: hostA sends
# a UDP flow (iperf3 -u, 8 s) to hostB, whose WireGuard sends nothing back
# (a receiver's keepalive comes only after 10 s). hostA's watchdog sees
# WireGuard unanswered and probes; hostB's service echoes over the same
# ICE pair; nobody restarts ICE. Run on both data paths: the userspace
# proxy and the nftables fast path (whose ingress rule must let the probe
# through to libnice). Cone NATs, stateful host firewalls.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-fastpath.sh"

SECS=8

# one_way MODE: the flow over profile MODE, and the checks.
one_way() {
	local mode=$1 proxy restarts_a restarts_b json lost
	fp_up hostA hostB
	e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
	proxy=userspace
	[[ $mode == fast ]] && proxy=nftables
	fp_wait_proxy hostA hostB "$proxy" 10
	fp_wait_proxy hostB hostA "$proxy" 10
	restarts_a=$(fp_field hostA hostB restarts)
	restarts_b=$(fp_field hostB hostA restarts)
	# Let the handshake's and the pings' replies settle: what follows is
	# the flow alone.
	sleep 1

	tb_spawn hostB "iperf3-$mode" iperf3 -s -1 -B "${E2E_TUN[hostB]}" -p 5201
	tb_wait_until 10 "iperf3 on hostB" bash -c "ip netns exec $(tb_ns hostB) ss -Hltn | grep -q ':5201'"
	json=$(tb_exec hostA iperf3 -u -b 5M -c "${E2E_TUN[hostB]}" -p 5201 -t "$SECS" -J) ||
		tb_fail "$mode: iperf3 failed: $(head -c 300 <<<"$json")"
	lost=$(jq '.end.sum.lost_percent' <<<"$json")
	echo "$mode: iperf3 -u ${SECS} s A->B: $(jq '.end.sum.packets' <<<"$json") datagrams, lost $lost %"

	fp_peer hostA hostB
	echo "$mode: hostA's watchdog: probes ${FP[liveness-probes]:-?}, answered ${FP[liveness-answered]:-?}," \
		"timeouts ${FP[liveness-timeouts]:-?}, restarts ${FP[watchdog-restarts]:-?}; ICE restarts $restarts_a -> ${FP[restarts]}"
	[[ ${FP[restarts]} == "$restarts_a" ]] || tb_fail "$mode: hostA restarted ICE during a one-way flow"
	[[ ${FP[watchdog-restarts]:-} == 0 ]] || tb_fail "$mode: hostA's watchdog restarted ICE (${FP[watchdog-restarts]:-none})"
	((${FP[liveness-probes]:-0} >= 2)) ||
		tb_fail "$mode: hostA's watchdog did not probe the silent direction (${FP[liveness-probes]:-none} probes)"
	((${FP[liveness-answered]:-0} >= ${FP[liveness-probes]} - 1)) ||
		tb_fail "$mode: hostB did not echo hostA's probes (${FP[liveness-answered]} of ${FP[liveness-probes]})"
	[[ ${FP[liveness-timeouts]:-} == 0 ]] || tb_fail "$mode: probes went unanswered (${FP[liveness-timeouts]})"
	[[ ${FP[proxy]} == "$proxy" ]] || tb_fail "$mode: hostA left the $proxy path (${FP[proxy]})"
	fp_peer hostB hostA
	echo "$mode: hostB echoed ${FP[liveness-echoes]:-?} probes, dropped ${FP[liveness-dropped]:-?}"
	[[ ${FP[restarts]} == "$restarts_b" ]] || tb_fail "$mode: hostB restarted ICE during a one-way flow"
	((${FP[liveness-dropped]:-1} == 0)) || tb_fail "$mode: hostB dropped ${FP[liveness-dropped]} liveness datagrams"
	e2e_ping_ok hostA "${E2E_TUN[hostB]}" || tb_fail "$mode: no ping A->B after the flow"
	fp_down hostA hostB
}

tb_init
fp_require
tb_require iperf3
e2e_bed hostA hostB -- --nat-a cone --nat-b cone
e2e_keys hostA hostB
tb_firewall_accept hostB tcp dport 5201
tb_firewall_accept hostB udp dport 5201
for mode in proxy fast; do
	pm=nftables
	[[ $mode == proxy ]] && pm=userspace
	fp_profile hostA "$mode" $pm hostB
	fp_profile hostB "$mode" $pm hostA
done
for mode in proxy fast; do
	echo "== one-way UDP flow on the $mode path"
	FP_PROFILE=$mode one_way "$mode"
done
echo "PASS: a one-way flow is probed and echoed on both data paths; no ICE restart"
