#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bench 3, cost per packet of the proxy: bench/ncu-bench-proxy (two ICE
# sessions with their proxies, each side in a thread of its own, on the
# loopback of a network namespace made here) measures the CPU time per
# forwarded packet of each side's thread: egress (WireGuard -> proxy -> ICE
# socket) and ingress (ICE socket -> libnice -> proxy -> WireGuard). The
# baseline in the same run is the floor of any userspace relay: a thread
# moving the same datagrams between two UDP sockets with recvmmsg and the
# proxy's segmented sends (ncu_udp_send).
# Then callgrind counts the instructions per packet of each thread over a
# fixed packet count (stable across runs; user space only), and lists where
# they go.
#
# BENCH_PROXY_RUNS (default 5), BENCH_PROXY_PACKETS (default 100000 per
# direction), BENCH_CALLGRIND_PACKETS (default 10000; 0 skips callgrind).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

RUNS=$(bench_runs BENCH_PROXY_RUNS 5)
PACKETS=$(bench_runs BENCH_PROXY_PACKETS 100000)
CG_PACKETS=${BENCH_CALLGRIND_PACKETS:-10000}
PROG=$top_builddir/bench/ncu-bench-proxy

((EUID == 0)) || { echo "FAIL: needs root (a network namespace of its own)" >&2; exit 1; }
[[ -x $PROG ]] || { echo "FAIL: $PROG is not built (run make bench)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ncu-bench-proxy.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# in_netns CMD...: CMD in a new network namespace with only loopback up
# (it disappears with the process).
in_netns() {
	unshare --net sh -c 'ip link set lo up && exec "$@"' sh "$@"
}

# values FILE IMPL DIR-FIELD: the values of a RESULT field.
values() {
	awk -v impl="$2" -v key="$3" '
		$1 == "RESULT" {
			delete f
			for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			if (f["impl"] == impl && f[key] != "" && f[key] != -1) print f[key]
		}' "$1"
}

run_cpu() {
	local i
	for ((i = 0; i < RUNS; i++)); do
		in_netns "$PROG" --packets "$PACKETS" >>"$TMP/cpu.txt" ||
			{ echo "FAIL: ncu-bench-proxy failed" >&2; exit 1; }
	done
}

# Callgrind, one phase per process: each thread's total is its phase cost.
# Thread files are told apart by the functions they ran.
IR_EGRESS=- IR_INGRESS=- IR_FLOOR=-
run_callgrind() {
	local f total
	((CG_PACKETS > 0)) || return 0
	command -v valgrind >/dev/null || { echo "FAIL: valgrind is missing: apt-get install valgrind" >&2; exit 1; }
	mkdir -p "$TMP/cg-proxy" "$TMP/cg-floor"
	in_netns valgrind --tool=callgrind --separate-threads=yes --instr-atstart=no \
		--callgrind-out-file="$TMP/cg-proxy/out" "$PROG" --packets "$CG_PACKETS" \
		--proxy-only --direction a-b >"$TMP/cg-proxy.txt" 2>"$TMP/cg-proxy.log" ||
		{ echo "FAIL: callgrind run failed: $(tail -3 "$TMP/cg-proxy.log")" >&2; exit 1; }
	in_netns valgrind --tool=callgrind --separate-threads=yes --instr-atstart=no \
		--callgrind-out-file="$TMP/cg-floor/out" "$PROG" --packets "$CG_PACKETS" \
		--floor-only >"$TMP/cg-floor.txt" 2>"$TMP/cg-floor.log" ||
		{ echo "FAIL: callgrind run failed: $(tail -3 "$TMP/cg-floor.log")" >&2; exit 1; }
	for f in "$TMP"/cg-proxy/out-*; do
		total=$(awk '/^totals:/ { print $2 }' "$f")
		if grep -q 'on_wireguard_readable' "$f"; then
			IR_EGRESS=$((total / CG_PACKETS))
			cp "$f" "$TMP/egress.cg"
		elif grep -q 'on_ice_recv' "$f"; then
			IR_INGRESS=$((total / CG_PACKETS))
			cp "$f" "$TMP/ingress.cg"
		fi
	done
	local -a floor=()
	for f in "$TMP"/cg-floor/out-*; do
		grep -q relay_thread "$f" && floor+=("$(awk -v n="$CG_PACKETS" '/^totals:/ { print int($2 / n) }' "$f")")
	done
	IR_FLOOR=$(bench_median "${floor[@]}")
}

# top FILE: the functions with the most inclusive instructions per packet
# (the thread's entry points left out), as a markdown list.
top() {
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | awk -v n="$CG_PACKETS" '
		/^-+$/ { sec++ }
		/PROGRAM TOTALS/ { next }
		sec >= 4 && $1 ~ /^[0-9,]+$/ && $2 ~ /^\(/ {
			ir = $1; gsub(",", "", ir)
			fn = $0; sub(/^.*:/, "", fn); sub(/ \[.*$/, "", fn)
			if (fn ~ /^(start_thread|clone3?|side_thread|g_thread_proxy|g_main_loop_run|0x[0-9a-f]+|\?\?\?)$/) next
			if (seen[fn]++) next
			printf "%s %d; ", fn, ir / n
			if (++shown == 12) exit
		}'
}

# above A B: A - B (nanoseconds), or "-".
above() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) { print "-"; exit }
		printf "%d\n", a - b }'
}

report() {
	local e i fe fi se si ie_sys ii_sys
	local -a v
	mapfile -t v < <(values "$TMP/cpu.txt" proxy egress_ns)
	e=$(bench_fmt "$(bench_median "${v[@]}")" 0)
	local e_spread; e_spread=$(bench_minmax "${v[@]}")
	mapfile -t v < <(values "$TMP/cpu.txt" proxy ingress_ns)
	i=$(bench_fmt "$(bench_median "${v[@]}")" 0)
	local i_spread; i_spread=$(bench_minmax "${v[@]}")
	mapfile -t v < <(values "$TMP/cpu.txt" floor egress_ns; values "$TMP/cpu.txt" floor ingress_ns)
	fe=$(bench_fmt "$(bench_median "${v[@]}")" 0)
	local f_spread; f_spread=$(bench_minmax "${v[@]}")
	mapfile -t v < <(values "$TMP/cpu.txt" proxy egress_sys)
	ie_sys=$(bench_median "${v[@]}")
	mapfile -t v < <(values "$TMP/cpu.txt" proxy ingress_sys)
	ii_sys=$(bench_median "${v[@]}")
	mapfile -t v < <(values "$TMP/cpu.txt" floor egress_sys; values "$TMP/cpu.txt" floor ingress_sys)
	fi=$(bench_median "${v[@]}")
	local pair; pair=$(awk '$1 == "PAIR" { sub(/.*local=/, ""); print; exit }' "$TMP/cpu.txt")

	bench_header "3. Cost per packet of the proxy" "$RUNS runs (BENCH_PROXY_RUNS) of $PACKETS packets per direction (BENCH_PROXY_PACKETS), medians (min-max); callgrind over $CG_PACKETS packets (BENCH_CALLGRIND_PACKETS)"
	echo "bench/ncu-bench-proxy: two ICE sessions (libnice, ${pair:-host} pair on loopback) with their proxies,"
	echo "each side in its own thread; 1452-byte datagrams (a full WireGuard packet at MTU 1420) in"
	echo "bursts of 64. CPU time of each side's thread per packet (kernel included: the sending"
	echo "system call delivers on loopback), and its system share. Baseline in the same run: the"
	echo "floor of a userspace relay between two UDP sockets: recvmmsg in batches of 32, then the"
	echo "proxy's own sends (runs of equal sizes as one segmented send, UDP_SEGMENT; src/ncu-udp.c)."
	echo "Each direction (egress: WireGuard -> ICE; ingress: ICE -> WireGuard) is the median over"
	echo "both sides (a->b and b->a)."
	echo
	bench_table_row direction "proxy ns/packet" "floor ns/packet" "ratio" "above the floor ns/packet" \
		"proxy system share" "floor system share" "proxy instructions/packet" \
		"floor instructions/packet" target verdict
	bench_table_row --- --- --- --- --- --- --- --- --- --- ---
	bench_table_row egress "$e ($e_spread)" "$fe ($f_spread)" "$(bench_ratio "$e" "$fe")" \
		"$(above "$e" "$fe")" "${ie_sys}%" "${fi}%" "$IR_EGRESS" "$IR_FLOOR" "<= 1000 ns" \
		"$(bench_verdict "$e" "<=" 1000)"
	bench_table_row ingress "$i ($i_spread)" "$fe ($f_spread)" "$(bench_ratio "$i" "$fe")" \
		"$(above "$i" "$fe")" "${ii_sys}%" "${fi}%" "$IR_INGRESS" "$IR_FLOOR" "<= 1000 ns" \
		"$(bench_verdict "$i" "<=" 1000)"
	echo
	echo "The target is the whole CPU time per packet, which here is mostly the kernel's"
	echo "(system share); the floor shows what of it no userspace relay avoids on this machine"
	echo "(a receive per datagram: WireGuard sends them one by one, libnice reads one per call),"
	echo "and \"above the floor\" what the proxy adds to it (GLib's main loop, libnice's receive)."
	echo
	bench_summary "3 proxy cost" "CPU per packet, egress (floor $fe ns)" "$e ns" "<= 1000 ns" "$(bench_verdict "$e" "<=" 1000)"
	bench_summary "3 proxy cost" "CPU per packet, ingress (floor $fe ns)" "$i ns" "<= 1000 ns" "$(bench_verdict "$i" "<=" 1000)"
	if [[ -f $TMP/egress.cg ]]; then
		echo "Where the user-space instructions go (callgrind, inclusive, per packet):"
		echo
		echo "- egress: $(top "$TMP/egress.cg")"
		echo "- ingress: $(top "$TMP/ingress.cg")"
		echo
	fi
}

run_cpu
run_callgrind
report
