#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bench 5, recovery: hostA and hostB behind cone NATs, the tunnel up and
# hostA pinging hostB every 10 ms; then something breaks, and the time until
# a ping hostA -> hostB passes again (first reply's timestamp) is measured:
#   restart   hostB's connection goes down; timed from its
#             `nmcli connection up` (NetworkManager's activation included)
#   nat-flush both routers forget their mappings (`conntrack -F`)
#   nat-flush-idle  the same on an idle tunnel: the pings start with the
#             flush. hostA's packets die at natB until hostB sends; with no
#             flow to miss, hostB sends its next NAT keepalive (every 2 s
#             while its WireGuard sends hostA nothing), so this measures
#             that wait (before keepalives: libnice's consent check, 4-6 s)
#   renumber  natA's outside address changes (203.0.113.10 <-> .11), as
#             when a provider renumbers or a phone changes cells
# Baseline, same bed and run: plain WireGuard with static endpoints through
# port forwards on the routers, the same events.
#
# BENCH_RECOVERY_RUNS (default 5); BENCH_RECOVERY_TIMEOUT (default 40 s:
# longer waits count as failed, shown as "> timeout").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

RUNS=$(bench_runs BENCH_RECOVERY_RUNS 5)
LIMIT=$(bench_runs BENCH_RECOVERY_TIMEOUT 40)
SCENARIOS=(restart renumber nat-flush nat-flush-idle)
declare -A VALUES=()           # "mode scenario" -> seconds, one per run
declare -A TUN_STATIC=()

setup() {
	export TB_SERVICE_DEBUG=1
	tb_init
	e2e_require_built
	tb_require conntrack ping
	tb_topology --nat-a cone --nat-b cone
	tb_start_coturn
	tb_start_mosquitto
	tb_start_nm hostA
	tb_start_nm hostB
	e2e_keys hostA hostB
	e2e_mesh_profile hostA hostB
	e2e_mesh_profile hostB hostA
	TUN_STATIC[hostA]=10.78.0.1
	TUN_STATIC[hostB]=10.78.0.2
	bench_port_forward natA hostA 51820
	bench_port_forward natB hostB 51820
	tb_firewall_accept hostA udp dport 51820
	tb_firewall_accept hostB udp dport 51820
	e2e_add hostA plain "$(bench_static_data hostA hostB "${TB_ADDR[natB]}:51820" 10.78.0.1 10.78.0.2)" \
		"$(e2e_profile_secrets hostA 1)"
	e2e_add hostB plain "$(bench_static_data hostB hostA "${TB_ADDR[natA]}:51820" 10.78.0.2 10.78.0.1)" \
		"$(e2e_profile_secrets hostB 1)"
	# the renumbered address must survive the old one's removal
	tb_exec natA sysctl -q -w net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.wan0.promote_secondaries=1
}

peer_addr() {
	if [[ $1 == plain ]]; then echo "${TUN_STATIC[hostB]}"; else echo "${E2E_TUN[hostB]}"; fi
}

# renumber_nat_a: natA's outside address moves between .10 and .11. (Read
# from natA itself: measure runs in a subshell, a variable would not last.)
renumber_nat_a() {
	local old new=203.0.113.11
	old=$(tb_exec natA ip -4 -o addr show dev wan0 | awk '{ sub("/.*", "", $4); print $4; exit }')
	[[ $old == 203.0.113.11 ]] && new=203.0.113.10
	tb_exec natA ip addr add "$new/24" dev wan0
	tb_exec natA ip addr del "$old/24" dev wan0
	tb_exec natA ip route replace default via "$TB_WAN_IP1" dev wan0
	# The kernel drops the mappings made with the old address from a work
	# queue, a moment later: a ping sent meanwhile still passes, and the
	# path breaks after it. Drop them now, so the event is over when the
	# clock runs.
	tb_exec natA conntrack -D --reply-dst "$old" >/dev/null 2>&1 || true
	[[ $(tb_exec natA ip -4 -o addr show dev wan0) == *" $new/24 "* ]] ||
		tb_fail "natA did not move to $new"
}

# flow_start ADDRESS: hostA pings ADDRESS every 10 ms in the background
# (the traffic the event interrupts); flow_stop ends it.
FLOW_PID=
flow_start() {
	tb_spawn hostA recovery-flow ping -n -q -i 0.01 "$1"
	FLOW_PID=$TB_LAST_PID
	sleep 1
}

flow_stop() {
	[[ -n $FLOW_PID ]] && tb_stop "$FLOW_PID"
	FLOW_PID=
}

# measure MODE SCENARIO: seconds until pings pass again (or "-").
measure() {
	local mode=$1 scenario=$2 addr t0 t bg
	addr=$(peer_addr "$mode")
	[[ $scenario == nat-flush || $scenario == renumber ]] && flow_start "$addr"
	case $scenario in
	restart)
		tb_nmcli hostB --wait 20 connection down "$mode" >/dev/null 2>&1 || true
		bench_wait_gone hostB
		t0=$(bench_now_s)
		bench_try_first_reply hostA "$addr" "$LIMIT" >"$TB_TMP/reply" &
		bg=$!
		e2e_up hostB "$mode"
		wait "$bg"
		t=$(cat "$TB_TMP/reply")
		;;
	nat-flush | nat-flush-idle)
		t0=$(bench_now_s)
		tb_exec natA conntrack -F >/dev/null 2>&1
		tb_exec natB conntrack -F >/dev/null 2>&1
		t=$(bench_try_first_reply hostA "$addr" "$LIMIT")
		;;
	renumber)
		t0=$(bench_now_s)
		renumber_nat_a
		t=$(bench_try_first_reply hostA "$addr" "$LIMIT")
		;;
	esac
	flow_stop
	if [[ $t == - ]]; then
		echo "-"
	else
		bench_fmt "$(bench_sub "$t" "$t0")"
	fi
}

run_mode() {
	local mode=$1 scenario v addr
	addr=$(peer_addr "$mode")
	bench_up_pair "$mode" hostA hostB
	bench_first_reply hostA "$addr" 20 >/dev/null
	for scenario in "${SCENARIOS[@]}"; do
		# a steady tunnel first (after a failed recovery: a fresh start)
		if [[ $(bench_try_first_reply hostA "$addr" 10) == - ]]; then
			bench_down_pair "$mode" hostA hostB
			bench_up_pair "$mode" hostA hostB
			bench_first_reply hostA "$addr" 20 >/dev/null
		fi
		# an idle tunnel: no probe of the last flow's end still to come
		if [[ $scenario == nat-flush-idle ]]; then sleep 3; else sleep 0.5; fi
		v=$(measure "$mode" "$scenario")
		VALUES["$mode $scenario"]+="$v "
		tb_log "$mode $scenario: $v s"
	done
	bench_down_pair "$mode" hostA hostB
}

# stat VALUES...: "median (min-max), F failed" with failures counted.
report() {
	local scenario mode c p fails_c fails_p
	bench_header "5. Recovery" "$RUNS per event and mode (BENCH_RECOVERY_RUNS), medians (min-max); no recovery within ${LIMIT} s (BENCH_RECOVERY_TIMEOUT) counts as failed"
	echo "hostA and hostB behind cone NATs, hostA pinging hostB every 10 ms; after the event, the"
	echo "time until a ping hostA -> hostB passes again. restart: hostB's connection down, then up"
	echo "(timed from \`nmcli connection up\`); nat-flush: \`conntrack -F\` on both routers;"
	echo "nat-flush-idle: the same with no traffic before it (hostA's packets die at natB until"
	echo "hostB sends: its next NAT keepalive, every 2 s while idle); renumber: natA's"
	echo "outside address changes. Baseline: plain WireGuard with static endpoints through port"
	echo "forwards, same bed, same events."
	echo
	bench_table_row event "cunicu s" "failed" "plain WireGuard s" "failed" ratio target verdict
	bench_table_row --- --- --- --- --- --- --- ---
	for scenario in "${SCENARIOS[@]}"; do
		# shellcheck disable=SC2086 # the values are split on purpose
		c=$(bench_median ${VALUES["cunicu $scenario"]})
		# shellcheck disable=SC2086
		p=$(bench_median ${VALUES["plain $scenario"]})
		fails_c=$(grep -o -- '-' <<<"${VALUES["cunicu $scenario"]// /$'\n'}" | grep -c . || true)
		fails_p=$(grep -o -- '-' <<<"${VALUES["plain $scenario"]// /$'\n'}" | grep -c . || true)
		local vc="$c" vp="$p"
		# shellcheck disable=SC2086
		[[ $c != - ]] && vc="$c ($(bench_minmax ${VALUES["cunicu $scenario"]}))"
		# shellcheck disable=SC2086
		[[ $p != - ]] && vp="$p ($(bench_minmax ${VALUES["plain $scenario"]}))"
		local verdict
		verdict=$(bench_verdict "$c" "<=" 3)
		((fails_c > 0)) && verdict="**missed**"
		bench_table_row "$scenario" "$vc" "$fails_c/$RUNS" "$vp" "$fails_p/$RUNS" \
			"$(bench_ratio "$c" "$p")" "<= 3 s" "$verdict"
		bench_summary "5 recovery" "$scenario (failed $fails_c/$RUNS)" "$c s" "<= 3 s" "$verdict"
	done
	echo
}

setup
for ((r = 0; r < RUNS; r++)); do
	if ((r % 2)); then
		run_mode plain
		run_mode cunicu
	else
		run_mode cunicu
		run_mode plain
	fi
done
report
