#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bench 1, time to tunnel: two hosts, each with its own NetworkManager,
# bring a cunicu profile up at once (`nmcli connection up` on both); timed
# until the first ping reply hostA -> peer, and from the service's Connect
# (the later of the two; the service's --debug log carries monotonic
# timestamps) to the first WireGuard handshake (wireguard-go's UAPI,
# nanoseconds). Baseline, in the same bed and the same run: plain
# WireGuard through NetworkManager with static endpoints (on the LAN
# directly, through the NATs by port forwards on the routers).
#
# Paths: lan (hostA and hostA2 on one LAN: host pair), cone (two cone NATs:
# srflx), symmetric (hostA behind a symmetric NAT: relay). The profile is
# the default one of the end-to-end tests, with a STUN and a TURN server.
#
#   bench-connect.sh                 every path, markdown on stdout
#   bench-connect.sh --path PATH     one path in its own bed: ROW lines
# BENCH_CONNECT_RUNS (default 5): runs per path and mode.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

RUNS=$(bench_runs BENCH_CONNECT_RUNS 5)
PATHS=(lan cone symmetric)

# ---- one path (child process) ---------------------------------------------

declare -A TUN_STATIC=()

# setup_path PATH: bed, servers, NetworkManagers, profiles; sets A and B.
setup_path() {
	local endpoint_a endpoint_b
	case $1 in
	lan) tb_topology --lan; A=hostA; B=hostA2 ;;
	cone) tb_topology --nat-a cone --nat-b cone; A=hostA; B=hostB ;;
	symmetric) tb_topology --nat-a symmetric --nat-b cone; A=hostA; B=hostB ;;
	*) tb_fail "unknown path '$1'" ;;
	esac
	tb_start_coturn
	tb_start_mosquitto
	tb_start_nm "$A"
	tb_start_nm "$B"
	e2e_keys "$A" "$B"
	e2e_mesh_profile "$A" "$B"
	e2e_mesh_profile "$B" "$A"

	# plain WireGuard: same keys, its own tunnel addresses
	TUN_STATIC[$A]=10.78.0.1
	TUN_STATIC[$B]=10.78.0.2
	if [[ $1 == lan ]]; then
		endpoint_a=${TB_ADDR[$A]}:51820
		endpoint_b=${TB_ADDR[$B]}:51820
	else
		bench_port_forward "${TB_NAT_OF[$A]}" "$A" 51820
		bench_port_forward "${TB_NAT_OF[$B]}" "$B" 51820
		endpoint_a=${TB_ADDR[${TB_NAT_OF[$A]}]}:51820
		endpoint_b=${TB_ADDR[${TB_NAT_OF[$B]}]}:51820
	fi
	tb_firewall_accept "$A" udp dport 51820
	tb_firewall_accept "$B" udp dport 51820
	e2e_add "$A" plain "$(bench_static_data "$A" "$B" "$endpoint_b" "${TUN_STATIC[$A]}" "${TUN_STATIC[$B]}")" \
		"$(e2e_profile_secrets "$A" 1)"
	e2e_add "$B" plain "$(bench_static_data "$B" "$A" "$endpoint_a" "${TUN_STATIC[$B]}" "${TUN_STATIC[$A]}")" \
		"$(e2e_profile_secrets "$B" 1)"
}

latest() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else print (a > b ? a : b) }'; }
earliest() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-") print b; else if (b == "-") print a; else print (a < b ? a : b) }'
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f\n", (a - b) * 1000 }'; }

# measure MODE: one activation of profile MODE (cunicu | plain) on both
# hosts; prints a ROW line; leaves both down.
measure() {
	local mode=$1 la lb off t0 t_up t_reply hs c_a c_b c_last addr ctl path="-"
	local ctl_host gathered remote ice
	la=$(bench_log_lines "$A")
	lb=$(bench_log_lines "$B")
	off=$(bench_mono_offset)
	addr=${E2E_TUN[$B]}
	[[ $mode == plain ]] && addr=${TUN_STATIC[$B]}

	t0=$(bench_now_s)
	bench_up_pair "$mode" "$A" "$B"
	t_up=$(bench_now_s)
	t_reply=$(bench_first_reply "$A" "$addr" 15)

	hs=$(earliest "$(bench_handshake_time "$A")" "$(bench_handshake_time "$B")")
	c_a=$(bench_log_time "$A" "$la" "connecting '$mode'" "$off")
	c_b=$(bench_log_time "$B" "$lb" "connecting '$mode'" "$off")
	c_last=$(latest "$c_a" "$c_b")
	gathered="-" remote="-" ice="-"
	if [[ $mode == cunicu ]]; then
		path="$(e2e_peer_field "$A" "$B" path)->$(e2e_peer_field "$A" "$B" remote-type)"
		ctl=$(e2e_peer_field "$A" "$B" controlling)
		ctl_host=$B
		ctl_line=$lb
		if [[ $ctl == True ]]; then
			ctl_host=$A
			ctl_line=$la
		fi
		# milestones on the controlling side (it starts the handshake)
		gathered=$(bench_log_time "$ctl_host" "$ctl_line" "gathered [0-9]+ candidate" "$off")
		remote=$(bench_log_time "$ctl_host" "$ctl_line" "answer to our session|new remote session" "$off")
		ice=$(bench_log_time "$ctl_host" "$ctl_line" "ICE connected" "$off")
	fi
	echo "ROW mode=$mode path=$path up=$(ms "$t_up" "$t0") ping=$(ms "$t_reply" "$t0")" \
		"connect=$(ms "$c_last" "$t0") hs=$(ms "$hs" "$c_last") gathered=$(ms "$gathered" "$c_last")" \
		"remote=$(ms "$remote" "$c_last") ice=$(ms "$ice" "$c_last") ping_after_connect=$(ms "$t_reply" "$c_last")"
	bench_down_pair "$mode" "$A" "$B"
}

run_path() {
	local i
	export TB_SERVICE_DEBUG=1
	tb_init
	e2e_require_built
	tb_require ping python3
	setup_path "$1"
	for ((i = 0; i < RUNS; i++)); do
		# alternate the order, so neither mode always runs on a warmer bed
		if ((i % 2)); then
			measure plain
			measure cunicu
		else
			measure cunicu
			measure plain
		fi
	done
}

# ---- every path (parent) -----------------------------------------------------

# field ROWS MODE KEY: the values of KEY in the rows of MODE.
field() {
	awk -v mode="$2" -v key="$3" '
		$1 == "ROW" {
			delete f
			for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = substr($i, length(kv[1]) + 2) }
			if (f["mode"] == mode) print f[key]
		}' <<<"$1"
}

# stat ROWS MODE KEY: "median (min-max)" in seconds, from milliseconds.
secs() {
	local -a v
	mapfile -t v < <(field "$1" "$2" "$3" | awk '/^[0-9.]+$/ { printf "%.3f\n", $1 / 1000 }')
	echo "$(bench_median "${v[@]}")"
}
spread() {
	local -a v
	mapfile -t v < <(field "$1" "$2" "$3" | awk '/^[0-9.]+$/ { printf "%.3f\n", $1 / 1000 }')
	bench_minmax "${v[@]}"
}
msmed() {
	local -a v
	mapfile -t v < <(field "$1" "$2" "$3")
	bench_fmt "$(bench_median "${v[@]}")" 0
}

# table KEY LIMIT LABEL: cunicu vs plain WireGuard for KEY on every path,
# in seconds, with the target "<= LIMIT s" (uses the rows of main).
table() {
	local key=$1 limit=$2 label=$3 i p c b
	bench_table_row path "cunicu s" "plain WireGuard s" ratio target verdict
	bench_table_row --- --- --- --- --- ---
	for i in "${!PATHS[@]}"; do
		p=${PATHS[$i]}
		c=$(secs "${rows[$i]}" cunicu "$key")
		b=$(secs "${rows[$i]}" plain "$key")
		bench_table_row "$p" "$c ($(spread "${rows[$i]}" cunicu "$key"))" \
			"$b ($(spread "${rows[$i]}" plain "$key"))" "$(bench_ratio "$c" "$b")" \
			"<= $limit s" "$(bench_verdict "$c" "<=" "$limit")"
		bench_summary "1 time to tunnel" "$label, $p" "$c s" "<= $limit s" \
			"$(bench_verdict "$c" "<=" "$limit")"
	done
	echo
}

main() {
	local p out i
	rows=()
	for p in "${PATHS[@]}"; do
		out=$(bash "${BASH_SOURCE[0]}" --path "$p") || {
			echo "bench-connect: path $p failed" >&2
			out=""
		}
		rows+=("$out")
	done

	bench_header "1. Time to tunnel" "$RUNS per path and mode (BENCH_CONNECT_RUNS), medians (min-max)"
	echo "Both hosts run \`nmcli connection up\` at once; the cunicu profile lists a STUN and a TURN"
	echo "server. Baseline: plain WireGuard with static endpoints through the same NetworkManagers"
	echo "and the same path (port forwards on the routers behind NATs), same run."
	echo
	echo "### nmcli connection up (both) -> first ping reply hostA -> peer"
	echo
	table ping 0.5 "nmcli up -> first ping"
	echo "Selected pairs (hostA's view): $(for i in "${!PATHS[@]}"; do
		printf '%s: %s; ' "${PATHS[$i]}" "$(field "${rows[$i]}" cunicu path | sort | uniq -c |
			awk '{ printf "%s%s %dx", sep, $2, $1; sep = ", " }')"; done)"
	echo
	echo "### service's Connect (the later of both) -> first WireGuard handshake"
	echo
	echo "Plain WireGuard shakes hands when the first ping is sent, cunicu as soon as ICE connects."
	echo
	table hs 0.150 "Connect -> first handshake"
	echo "### where the time goes (cunicu, medians in ms)"
	echo
	echo "From \`nmcli connection up\` to the later Connect, then from that Connect (controlling"
	echo "side's log) to: gathering done, the remote's answer applied, ICE connected, handshake, ping."
	echo
	bench_table_row path "nmcli up -> Connect" "nmcli up returned" gathered "remote answer" "ICE connected" handshake "first ping"
	bench_table_row --- --- --- --- --- --- --- ---
	for i in "${!PATHS[@]}"; do
		bench_table_row "${PATHS[$i]}" "$(msmed "${rows[$i]}" cunicu connect)" \
			"$(msmed "${rows[$i]}" cunicu up)" "$(msmed "${rows[$i]}" cunicu gathered)" \
			"$(msmed "${rows[$i]}" cunicu remote)" "$(msmed "${rows[$i]}" cunicu ice)" \
			"$(msmed "${rows[$i]}" cunicu hs)" "$(msmed "${rows[$i]}" cunicu ping_after_connect)"
	done
	echo
	echo "Plain WireGuard for comparison: nmcli up -> Connect" \
		"$(for i in "${!PATHS[@]}"; do printf '%s %s ms; ' "${PATHS[$i]}" "$(msmed "${rows[$i]}" plain connect)"; done)"
	echo
}

if [[ ${1:-} == --path ]]; then
	run_path "$2"
else
	main
fi
