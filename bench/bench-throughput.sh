#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bench 2, throughput: iperf3 TCP and UDP through the tunnel, hostA -> peer,
# every data path active at once in one bed; round after round, each mode
# is measured right beside plain WireGuard over the very same path (the
# ratio is the median of the rounds' ratios):
#   LAN (hostA <-> hostA2, host pair): plain WireGuard with static
#       endpoints | fast path (proxy-mode=nftables) | proxy (userspace)
#   NAT (hostA <-> hostB through two cone NATs, srflx pair): plain
#       WireGuard with static endpoints through port forwards on the
#       routers | fast path | proxy
#   TURN (hostA offers relay candidates only): proxy over coturn, compared
#       with plain WireGuard through the NATs.
# Each mode is its own NetworkManager profile with its own tunnel subnet.
# The fast path rows run only when the service reports it (status "proxy"
# is nftables, or an nftables table of ours exists); else they are
# recorded as pending.
#
# BENCH_THROUGHPUT_RUNS (default 5): rounds; BENCH_THROUGHPUT_SECONDS
# (default 4): length of each iperf3 test (2 s tests swung by +-15 %);
# BENCH_THROUGHPUT_MODES: a subset of the modes (their baselines are added),
# e.g. "lan-plain lan-proxy".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

RUNS=$(bench_runs BENCH_THROUGHPUT_RUNS 5)
SECS=$(bench_runs BENCH_THROUGHPUT_SECONDS 4)
UDP_LEN=1300                       # fits the 1420-byte tunnel MTU

# mode -> "host peer tunnel-subnet kind [extra keys for hostA]"
declare -A MODE_HOSTS=(
	[lan-plain]="hostA hostA2" [lan-fast]="hostA hostA2" [lan-proxy]="hostA hostA2"
	[nat-plain]="hostA hostB" [nat-fast]="hostA hostB" [nat-proxy]="hostA hostB"
	[turn-proxy]="hostA hostB"
)
declare -A MODE_NET=(
	[lan-plain]=10.81.0 [lan-fast]=10.82.0 [lan-proxy]=10.83.0
	[nat-plain]=10.84.0 [nat-fast]=10.85.0 [nat-proxy]=10.86.0 [turn-proxy]=10.87.0
)
declare -A MODE_BASE=(
	[lan-plain]=lan-plain [lan-fast]=lan-plain [lan-proxy]=lan-plain
	[nat-plain]=nat-plain [nat-fast]=nat-plain [nat-proxy]=nat-plain [turn-proxy]=nat-plain
)
read -ra MODES <<<"${BENCH_THROUGHPUT_MODES:-lan-plain lan-fast lan-proxy nat-plain nat-fast nat-proxy turn-proxy}"
# every mode's baseline is measured too, listed or not
for mode in "${MODES[@]}"; do
	[[ -n ${MODE_BASE[$mode]:-} ]] || { echo "FAIL: unknown mode '$mode' in BENCH_THROUGHPUT_MODES" >&2; exit 1; }
	[[ " ${MODES[*]} " == *" ${MODE_BASE[$mode]} "* ]] || MODES=("${MODE_BASE[$mode]}" "${MODES[@]}")
done
declare -A PENDING=()              # mode -> why it was not measured
declare -A PAIR=()                 # mode -> selected pair
declare -A TCP=() UDP=()           # mode -> values, one per test ("-" if failed)
declare -A BESIDE=()               # "mode tcp|udp" -> its baseline's values measured beside it
LAST=                              # measure_one's last value
declare -A LOST=()                 # mode -> receiver's UDP buffer drops per TCP test
declare -A SLOST=()                # mode -> sender's failed UDP sends per TCP test

# add_profiles MODE: the profile MODE on both of its hosts.
add_profiles() {
	local mode=$1 a b net extra_a=() extra=() port
	read -r a b <<<"${MODE_HOSTS[$mode]}"
	net=${MODE_NET[$mode]}
	case $mode in
	lan-plain)
		e2e_add "$a" "$mode" "$(bench_static_data "$a" "$b" "${TB_ADDR[$b]}:51820" "$net.1" "$net.2" peer.0.label="$mode-$b")" "$(e2e_profile_secrets "$a" 1)"
		e2e_add "$b" "$mode" "$(bench_static_data "$b" "$a" "${TB_ADDR[$a]}:51820" "$net.2" "$net.1" peer.0.label="$mode-$a")" "$(e2e_profile_secrets "$b" 1)"
		return ;;
	nat-plain)
		port=51821
		e2e_add "$a" "$mode" "$(bench_static_data "$a" "$b" "${TB_ADDR[natB]}:$port" "$net.1" "$net.2" listen-port=$port peer.0.label="$mode-$b")" "$(e2e_profile_secrets "$a" 1)"
		e2e_add "$b" "$mode" "$(bench_static_data "$b" "$a" "${TB_ADDR[natA]}:$port" "$net.2" "$net.1" listen-port=$port peer.0.label="$mode-$a")" "$(e2e_profile_secrets "$b" 1)"
		return ;;
	*-fast) extra=(proxy-mode=nftables) ;;
	*-proxy) extra=(proxy-mode=userspace) ;;
	esac
	[[ $mode == turn-proxy ]] && extra_a=(ice-candidate-types=relay)
	# the same two keys in several profiles: each pair needs topics of its own
	extra+=(signaling-topic-prefix="bench-$mode")
	e2e_add "$a" "$mode" "$(bench_ice_data "$a" "$b" "$net.1" "$net.2" "$mode-$b" "${extra[@]}" "${extra_a[@]}")" \
		"$(e2e_profile_secrets "$a" 1)"
	e2e_add "$b" "$mode" "$(bench_ice_data "$b" "$a" "$net.2" "$net.1" "$mode-$a" "${extra[@]}")" \
		"$(e2e_profile_secrets "$b" 1)"
}

# fast_path_active MODE: the service runs MODE on the nftables fast path.
fast_path_active() {
	local a b proxy
	read -r a b <<<"${MODE_HOSTS[$1]}"
	proxy=$(e2e_peer_field "$a" "$1-$b" proxy)
	[[ $proxy == nftables ]] && return 0
	tb_exec "$a" nft list tables 2>/dev/null | grep -q cunicu
}

setup() {
	local mode a b
	tb_init
	e2e_require_built
	tb_require iperf3 jq ping
	tb_topology --lan --nat-a cone --nat-b cone
	tb_start_coturn
	tb_start_mosquitto
	for h in hostA hostA2 hostB; do
		tb_start_nm "$h"
		# tunnel traffic (iperf3) and plain WireGuard's listen ports
		tb_firewall_accept "$h" iifname '"ncu-*"'
		tb_firewall_accept "$h" udp dport 51820-51821
	done
	bench_port_forward natA hostA 51821
	bench_port_forward natB hostB 51821
	e2e_keys hostA hostA2 hostB
	for mode in "${MODES[@]}"; do
		add_profiles "$mode"
		read -r a b <<<"${MODE_HOSTS[$mode]}"
		bench_up_pair "$mode" "$a" "$b"
		tb_log "$mode up"
	done
	for mode in "${MODES[@]}"; do
		read -r a b <<<"${MODE_HOSTS[$mode]}"
		bench_first_reply "$a" "${MODE_NET[$mode]}.2" 20 >/dev/null
		tb_log "$mode pings"
		if [[ $mode != *-plain ]]; then
			PAIR[$mode]="$(e2e_peer_field "$a" "$mode-$b" path)->$(e2e_peer_field "$a" "$mode-$b" remote-type)"
		else
			PAIR[$mode]="static"
		fi
		if [[ $mode == *-fast ]] && ! fast_path_active "$mode"; then
			PENDING[$mode]="fast path not integrated: the service reports proxy=$(e2e_peer_field "$a" "$mode-$b" proxy)"
			continue
		fi
		tb_spawn "$b" "iperf3-$mode" iperf3 -s -B "${MODE_NET[$mode]}.2" -p 5201
	done
	for mode in "${MODES[@]}"; do
		[[ -n ${PENDING[$mode]:-} ]] && continue
		read -r a b <<<"${MODE_HOSTS[$mode]}"
		tb_wait_until 10 "iperf3 server of $mode" \
			sh -c "ip netns exec $(tb_ns "$b") ss -Hltn | grep -q '${MODE_NET[$mode]}.2:5201'"
	done
}

# iperf MODE tcp|udp: received Mbit/s hostA -> peer, or "-" on failure.
iperf() {
	local mode=$1 kind=$2 a b json
	local -a args=(-c "${MODE_NET[$mode]}.2" -p 5201 -t "$SECS" -J)
	read -r a b <<<"${MODE_HOSTS[$mode]}"
	[[ $kind == udp ]] && args+=(-u -b 0 -l "$UDP_LEN")
	if json=$(tb_exec "$a" timeout $((SECS + 20)) iperf3 "${args[@]}" 2>/dev/null); then
		jq -r '.end.sum_received.bits_per_second / 1e6 | floor' <<<"$json" 2>/dev/null || echo "-"
	else
		echo "-"
	fi
}

# measure_one MODE KIND: one iperf3 test of MODE, its value appended to
# MODE's (and left in LAST); for TCP, the buffer drops during it too. Not
# in a $(...): that subshell would lose the values.
measure_one() {
	local mode=$1 kind=$2 a b d0 s0 v
	read -r a b <<<"${MODE_HOSTS[$mode]}"
	if [[ $kind == tcp ]]; then
		d0=$(bench_udp_counter "$b")
		s0=$(bench_udp_counter "$a" SndbufErrors)
		v=$(iperf "$mode" tcp)
		TCP[$mode]+="$v "
		LOST[$mode]+="$(($(bench_udp_counter "$b") - d0)) "
		SLOST[$mode]+="$(($(bench_udp_counter "$a" SndbufErrors) - s0)) "
	else
		v=$(iperf "$mode" udp)
		UDP[$mode]+="$v "
	fi
	LAST=$v
}

# Each round measures every mode right beside its own baseline (the
# baseline first in even rounds, second in odd ones), TCP then UDP: the
# machine's load drifts over tens of seconds, and a baseline measured a
# minute away from its mode would carry that drift into the ratio. The
# modes' order turns from round to round.
measure_rounds() {
	local r i mode base kind first a b
	local -a others=() alone=()
	declare -A beside_some=()
	for mode in "${MODES[@]}"; do
		[[ $mode == *-plain || -n ${PENDING[$mode]:-} ]] && continue
		others+=("$mode")
		beside_some[${MODE_BASE[$mode]}]=1
	done
	# a baseline that no measured mode goes beside (its modes pending)
	for mode in "${MODES[@]}"; do
		[[ $mode != *-plain || -n ${beside_some[$mode]:-} ]] || alone+=("$mode")
	done
	for ((r = 0; r < RUNS; r++)); do
		for mode in "${alone[@]}"; do
			for kind in tcp udp; do measure_one "$mode" "$kind"; done
		done
		for ((i = 0; i < ${#others[@]}; i++)); do
			mode=${others[$(((i + r) % ${#others[@]}))]}
			base=${MODE_BASE[$mode]}
			for kind in tcp udp; do
				for first in 0 1; do
					if (((r + first) % 2 == 0)); then
						measure_one "$base" "$kind"
						BESIDE[$mode $kind]+="$LAST "
					else
						measure_one "$mode" "$kind"
					fi
				done
			done
			tb_log "$mode: TCP ${TCP[$mode]}, UDP ${UDP[$mode]}; beside it, $base: TCP ${BESIDE[$mode tcp]}, UDP ${BESIDE[$mode udp]}"
		done
		tb_log "round $((r + 1)) of $RUNS done"
	done
	# did the fast path carry the traffic? (its nftables counters)
	for mode in "${others[@]}"; do
		[[ $mode == *-fast ]] || continue
		read -r a b <<<"${MODE_HOSTS[$mode]}"
		PAIR[$mode]+=", nft egress $(e2e_peer_field "$a" "$mode-$b" nft-egress-packets) packets"
	done
}

# round_ratios MODE tcp|udp: MODE / its baseline measured beside it, in
# each round, one per line.
round_ratios() {
	local mode=$1 i
	local -a v b
	read -ra b <<<"${BESIDE[$mode $2]:-}"
	if [[ $2 == tcp ]]; then read -ra v <<<"${TCP[$mode]}"; else read -ra v <<<"${UDP[$mode]}"; fi
	for i in "${!v[@]}"; do
		bench_ratio "${v[$i]}" "${b[$i]:-}"
	done
}

# ratios MODE tcp|udp: median over rounds of MODE / its baseline.
ratios() {
	local -a r
	mapfile -t r < <(round_ratios "$@")
	bench_median "${r[@]}"
}

# ratio_spread MODE tcp|udp: the lowest and highest of the rounds' ratios.
ratio_spread() {
	local -a r
	mapfile -t r < <(round_ratios "$@")
	bench_minmax "${r[@]}"
}

target_of() {
	case $1 in
	*-fast) echo ">= 0.98" ;;
	lan-proxy | nat-proxy) echo ">= 0.90" ;;
	*) echo "-" ;;
	esac
}

verdict_of() {
	case $1 in
	*-fast) bench_verdict "$2" ">=" 0.98 ;;
	lan-proxy | nat-proxy) bench_verdict "$2" ">=" 0.90 ;;
	*) echo "-" ;;
	esac
}

# The row's verdict: TCP's and UDP's, one word when they agree.
row_verdict() {
	local tcp udp
	tcp=$(verdict_of "$1" "$2")
	udp=$(verdict_of "$1" "$3")
	if [[ $tcp == "$udp" ]]; then
		echo "$tcp"
	else
		echo "TCP $tcp, UDP $udp"
	fi
}

report() {
	local mode tcp udp rt ru rt_cell ru_cell label
	bench_header "2. Throughput" "$RUNS rounds (BENCH_THROUGHPUT_RUNS) of ${SECS} s per test (BENCH_THROUGHPUT_SECONDS), medians; ratio = median of the rounds' ratios to the baseline measured beside the mode"
	echo "iperf3 hostA -> peer through the tunnel: TCP, and UDP at full offered load (-b 0,"
	echo "$UDP_LEN-byte datagrams; received rate). All profiles are up at once; in every round each"
	echo "mode is measured right beside plain WireGuard (static endpoints) over the same path, which"
	echo "goes first alternating from round to round, so the machine's slow drifts in load cancel out"
	echo "of the ratio. WireGuard is wireguard-go here (no kernel module), sharing $(nproc) cores with iperf3,"
	echo "the services and, on the TURN row, coturn. The last columns count, per TCP test, the"
	echo "datagrams the receiving host's kernel dropped because a socket's receive buffer was full"
	echo "(RcvbufErrors: the ICE socket or wireguard-go's) and the sends on the sending host that"
	echo "found a send buffer full (SndbufErrors: the proxy sends without waiting, so each is a"
	echo "lost packet; wireguard-go waits): TCP backs off on every loss. Ratios are the median"
	echo "of the rounds' ratios, with the lowest and highest: one ${SECS} s test swings by 10-20% here,"
	echo "so a ratio near 1 says \"as fast as plain WireGuard\" only to within that spread."
	echo
	bench_table_row path mode pair "TCP Mbit/s" "TCP ratio" "UDP Mbit/s" "UDP ratio" target verdict \
		"receive buffer drops" "send buffer full"
	bench_table_row --- --- --- --- --- --- --- --- --- --- ---
	for mode in "${MODES[@]}"; do
		case $mode in
		lan-*) label=LAN ;;
		nat-*) label="cone NATs" ;;
		turn-*) label="TURN (vs plain through the NATs)" ;;
		esac
		if [[ -n ${PENDING[$mode]:-} ]]; then
			bench_table_row "$label" "${mode#*-}" "${PAIR[$mode]}" "pending" "-" "-" "-" \
				"$(target_of "$mode")" "pending: ${PENDING[$mode]}" "-" "-"
			bench_summary "2 throughput" "$mode TCP, ratio to plain WireGuard" "pending" \
				"$(target_of "$mode")" "pending (not integrated)"
			continue
		fi
		# shellcheck disable=SC2086 # the values are split on purpose
		tcp=$(bench_median ${TCP[$mode]})
		# shellcheck disable=SC2086
		udp=$(bench_median ${UDP[$mode]})
		if [[ $mode == *-plain ]]; then
			rt="1 (baseline)"
			ru="1 (baseline)"
			rt_cell=$rt
			ru_cell=$ru
		else
			rt=$(ratios "$mode" tcp)
			ru=$(ratios "$mode" udp)
			rt_cell="$rt ($(ratio_spread "$mode" tcp))"
			ru_cell="$ru ($(ratio_spread "$mode" udp))"
		fi
		bench_table_row "$label" "${mode#*-}" "${PAIR[$mode]}" "$tcp ($(bench_minmax ${TCP[$mode]}))" \
			"$rt_cell" "$udp ($(bench_minmax ${UDP[$mode]}))" "$ru_cell" "$(target_of "$mode")" \
			"$(row_verdict "$mode" "$rt" "$ru")" "$(bench_median ${LOST[$mode]})" \
			"$(bench_median ${SLOST[$mode]})"
		if [[ $(target_of "$mode") != - ]]; then
			bench_summary "2 throughput" "$mode TCP, ratio to plain WireGuard" "$rt" \
				"$(target_of "$mode")" "$(verdict_of "$mode" "$rt")"
			bench_summary "2 throughput" "$mode UDP, ratio to plain WireGuard" "$ru" \
				"$(target_of "$mode")" "$(verdict_of "$mode" "$ru")"
		fi
	done
	echo
}

setup
measure_rounds
report
