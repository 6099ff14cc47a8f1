#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 5, part 3: throughput of the data paths side by side, in one run,
# through NetworkManager (iperf3, TCP, 3 s each, hostA -> peer):
#   direct     hostA <-> hostA2 on the same LAN, plain WireGuard (static
#              endpoints, no ICE): the baseline;
#   lan-fast   hostA <-> hostA2 through ICE (host pair), proxy-mode=nftables;
#   lan-proxy  the same with proxy-mode=userspace;
#   nat-fast   hostA <-> hostB through two cone NATs, proxy-mode=nftables;
#   nat-proxy  the same with proxy-mode=userspace.
# Rounds alternate them (NCU_FASTPATH_BENCH_ROUNDS, default 1) so load on
# the machine hits them alike; medians and ratios to direct are printed as
# MEASURE lines, with the time from `nmcli connection up` (both sides at
# once) to the first ping and the CPU the two services used. Each fast run
# checks that the proxies carried none of it, each proxy run that they
# carried it, in segmented sends. No timing is asserted.
# NCU_E2E_WG_BACKEND=kernel runs it on kernel WireGuard (QEMU guest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-fastpath.sh"

ROUNDS=${NCU_FASTPATH_BENCH_ROUNDS:-1}
SECS=3
PORT=51821                                   # WireGuard, direct profiles
declare -A MBPS=() CPU=() FIRST=()

# service_ticks HOST: CPU clock ticks used so far by HOST's service.
service_ticks() {
	local pid
	pid=$(tb_nm_exec "$1" pgrep -f nm-cunicu-service) || tb_fail "$1: no service running"
	# shellcheck disable=SC2016 # awk's fields
	tb_nm_exec "$1" awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

# measure MODE HOST PEER: one iperf3 run HOST -> PEER's tunnel address.
measure() {
	local mode=$1 host=$2 peer=$3 addr=${E2E_TUN[$3]} bps t0 t1 json
	tb_spawn "$peer" "iperf3-$peer" iperf3 -s -1 -B "$addr" -p 5201
	tb_wait_until 10 "iperf3 on $peer" bash -c "ip netns exec $(tb_ns "$peer") ss -Hltn | grep -q '$addr:5201'"
	t0=$(($(service_ticks "$host") + $(service_ticks "$peer")))
	json=$(tb_exec "$host" iperf3 -c "$addr" -p 5201 -t "$SECS" -J) ||
		tb_fail "iperf3 ($mode) failed: $(head -c 300 <<<"$json")"
	t1=$(($(service_ticks "$host") + $(service_ticks "$peer")))
	bps=$(jq '.end.sum_received.bits_per_second' <<<"$json") || tb_fail "iperf3 ($mode): no result"
	MBPS[$mode]+="$(awk -v b="$bps" 'BEGIN { printf "%.0f", b / 1e6 }') "
	CPU[$mode]+="$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s=$SECS 'BEGIN { printf "%.0f", 100 * t / hz / s }') "
	echo "# $mode: ${MBPS[$mode]}Mbit/s, services' CPU ${CPU[$mode]}% of a core"
}

# run MODE PROFILE HOST PEER: bring PROFILE up on both, time the first
# ping, measure, check who carried the data, bring it down.
run() {
	local mode=$1 profile=$2 host=$3 peer=$4 t0
	t0=$(tb_now_us)
	FP_PROFILE=$profile fp_up "$host" "$peer"
	# 20 s: now and then WireGuard's first handshake costs its 5 s retry
	# (in every mode but direct); this run measures, it asserts no time.
	e2e_wait_ping "$host" "${E2E_TUN[$peer]}" 20 >/dev/null
	FIRST[$mode]+="$(tb_fmt_us $(($(tb_now_us) - t0))) "
	case $mode in
	*-fast) fp_wait_proxy "$host" "$peer" nftables 10 ;;
	*-proxy) fp_wait_proxy "$host" "$peer" userspace 10 ;;
	esac
	[[ $mode == direct ]] || fp_snapshot b "$host" "$peer"
	measure "$mode" "$host" "$peer"
	if [[ $mode != direct ]]; then
		fp_snapshot a "$host" "$peer"
		if [[ $mode == *-fast ]]; then
			if ! fp_same b a proxy-to-peer-bytes || ! fp_grew b a nft-egress-bytes 1000000; then
				tb_fail "$mode: iperf3 did not bypass the proxy (proxy out ${SNAP[b.proxy-to-peer-bytes]} -> ${SNAP[a.proxy-to-peer-bytes]}, in ${SNAP[b.proxy-from-peer-bytes]} -> ${SNAP[a.proxy-from-peer-bytes]}, nft ${SNAP[a.nft-egress-bytes]:-none}, ICE ${SNAP[a.ice-state]} restarts ${SNAP[b.restarts]} -> ${SNAP[a.restarts]})"
			fi
		else
			fp_grew b a proxy-to-peer-bytes 1000000 || tb_fail "$mode: iperf3 did not pass the proxy"
			# A bulk transfer is runs of full-sized packets: they leave the
			# proxy as segmented sends (src/ncu-udp.c), and arrive whole.
			fp_grew b a proxy-segmented-sends 10 ||
				tb_fail "$mode: the proxy sent no run of packets at once (proxy-segmented-sends ${SNAP[b.proxy-segmented-sends]:-none} -> ${SNAP[a.proxy-segmented-sends]:-none})"
		fi
	fi
	FP_PROFILE=$profile fp_down "$host" "$peer"
}

median() {
	tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

tb_init
fp_require
tb_require iperf3
e2e_bed hostA hostB hostA2 -- --nat-a cone --nat-b cone --lan
e2e_keys hostA hostB hostA2
for h in hostB hostA2; do
	tb_firewall_accept "$h" tcp dport 5201
done
for h in hostA hostA2; do
	tb_firewall_accept "$h" udp dport "$PORT"
done
for mode in fast proxy; do
	pm=nftables
	[[ $mode == proxy ]] && pm=userspace
	fp_profile hostA "nat-$mode" $pm hostB
	fp_profile hostB "nat-$mode" $pm hostA
	fp_profile hostA "lan-$mode" $pm hostA2
	fp_profile hostA2 "lan-$mode" $pm hostA
done
fp_profile hostA direct auto hostA2 -- "listen-port=$PORT" "peer.0.endpoint=${TB_ADDR[hostA2]}:$PORT"
fp_profile hostA2 direct auto hostA -- "listen-port=$PORT" "peer.0.endpoint=${TB_ADDR[hostA]}:$PORT"

modes=(direct lan-fast lan-proxy nat-fast nat-proxy)
echo "== $ROUNDS round(s) of ${modes[*]} ($FP_BACKEND WireGuard, iperf3 ${SECS} s each)"
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in "${modes[@]}"; do
		peer=hostA2
		[[ $mode == nat-* ]] && peer=hostB
		run "$mode" "$mode" hostA "$peer"
	done
done

declare -A MED=()
for mode in "${modes[@]}"; do
	MED[$mode]=$(median <<<"${MBPS[$mode]}")
done
echo "MEASURE throughput, median Mbit/s of $ROUNDS round(s):" \
	"$(for m in "${modes[@]}"; do printf '%s %s, ' "$m" "${MED[$m]}"; done | sed 's/, $//')"
echo "MEASURE ratio to direct WireGuard:" \
	"$(for m in "${modes[@]:1}"; do awk -v m="$m" -v v="${MED[$m]}" -v d="${MED[direct]}" 'BEGIN { printf "%s %.2f, ", m, v / d }'; done | sed 's/, $//')"
echo "MEASURE services' CPU during iperf3 (% of a core, both sides, median):" \
	"$(for m in "${modes[@]}"; do printf '%s %s, ' "$m" "$(median <<<"${CPU[$m]}")"; done | sed 's/, $//')"
echo "MEASURE nmcli up -> first ping, median s:" \
	"$(for m in "${modes[@]}"; do printf '%s %s, ' "$m" "$(median <<<"${FIRST[$m]}")"; done | sed 's/, $//')"
for mode in "${modes[@]}"; do
	echo "# $mode: Mbit/s ${MBPS[$mode]}; first ping after (s) ${FIRST[$mode]}"
done
echo "PASS: the fast path bypassed the proxy under iperf3; the proxy carried its runs"
