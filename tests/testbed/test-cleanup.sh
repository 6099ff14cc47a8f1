#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test-bed self-test (e): nothing of the host is touched and nothing is left.
# Runs complete beds (all namespaces, coturn, mosquitto, a NetworkManager) as
# child processes of this script and checks, after each one:
#   1. normal exit:  no namespace, process or temporary directory remains;
#   2. SIGTERM:      the same;
#   3. SIGKILL:      the next run removes what the killed run left (stale
#                    namespaces, processes, temporary directory) and passes.
# Throughout, the host's links, addresses, routes, nftables ruleset and
# forwarding sysctl stay as they were.
#
# Internal use: test-cleanup.sh --child exit|wait STATEFILE runs one bed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---- the child: one full bed, its names and PIDs written to STATEFILE ------
if [[ ${1:-} == --child ]]; then
	mode=$2 state=$3
	tb_init
	tb_topology --nat-a cone --nat-b symmetric --nat-c cone --lan
	tb_start_coturn
	tb_start_mosquitto
	tb_start_nm hostA
	{
		echo "id $TB_ID"
		echo "tmp $TB_TMP"
		tb_namespaces | sed 's/^/ns /'
		tb_pids | sed 's/^/pid /'
		# processes inside the NetworkManager's PID namespace too
		for pid in $(ip netns pids "$(tb_ns hostA)"); do echo "pid $pid"; done
	} >"$state.tmp"
	mv "$state.tmp" "$state"
	[[ $mode == wait ]] && while :; do sleep 0.1; done
	exit 0
fi

# ---- the parent -------------------------------------------------------------
tb_init
tb_require turnserver mosquitto NetworkManager
probe=$(tb_stun_probe)
[[ -n $probe ]]

host_state() {
	ip -o link show | sed 's/^[0-9]*: //' | awk '{ print $1, $2 }' | sort
	ip -o addr show | awk '{ print $2, $3, $4 }' | sort
	ip route show table all | sort
	nft list ruleset
	sysctl -n net.ipv4.ip_forward
}
host_before=$(host_state)

declare -a child_ids=()
# leftovers of a failed check must not outlive this test either
remove_children() {
	local id ns
	for id in "${child_ids[@]}"; do
		for ns in $(ip netns list | awk -v p="^$TB_PREFIX-$id-" '$1 ~ p { print $1 }'); do
			tb__delete_ns "$ns"
		done
		rm -rf "${TMPDIR:-/tmp}/$TB_PREFIX-$id".*
	done
}
tb_at_cleanup remove_children

# start_child MODE NAME: start a bed; sets child (PID) and state (file)
start_child() {
	state=$TB_TMP/$2.state
	bash "${BASH_SOURCE[0]}" --child "$1" "$state" >"$TB_TMP/$2.log" 2>&1 &
	child=$!
	child_ids+=("$child")
}

wait_ready() {
	tb_wait_until 60 "child bed $1 to be up" test -s "$state"
}

# leftovers STATEFILE: print what of that run still exists
leftovers() {
	local kind value
	while read -r kind value; do
		case $kind in
		ns) [[ -e /run/netns/$value ]] && echo "namespace $value" ;;
		pid) tb__alive "$value" && echo "process $value ($(cat "/proc/$value/comm" 2>/dev/null))" ;;
		tmp) [[ -e $value ]] && echo "directory $value" ;;
		esac
	done <"$1"
	return 0
}

assert_clean() {
	local left
	left=$(leftovers "$1")
	[[ -z $left ]] || tb_fail "$2 left behind: ${left//$'\n'/, }"
	[[ $(host_state) == "$host_before" ]] ||
		tb_fail "$2 changed the host: $(diff <(echo "$host_before") <(host_state))"
	echo "PASS: $2: nothing left, host unchanged ($(grep -c '^ns ' "$1") namespaces, $(grep -c '^pid ' "$1") processes checked)"
}

# 1. normal exit
start_child exit normal
wait "$child" || tb_fail "child bed failed: $(cat "$TB_TMP/normal.log")"
assert_clean "$state" "a run that exits normally"

# 2. SIGTERM while everything runs
start_child wait term
wait_ready term
kill -TERM "$child"
status=0
wait "$child" || status=$?
((status == 143)) || tb_fail "SIGTERMed child exited with $status: $(cat "$TB_TMP/term.log")"
assert_clean "$state" "a run stopped by SIGTERM"

# 3. SIGKILL: the killed run cannot clean up; the next run must
start_child wait killed
wait_ready killed
killed_state=$state
kill -KILL "$child"
wait "$child" 2>/dev/null || true
echo "# after SIGKILL: $(leftovers "$killed_state" | wc -l) leftovers of the killed run (stale)"
start_child exit after-kill
wait "$child" || tb_fail "the run after a killed run failed: $(cat "$TB_TMP/after-kill.log")"
grep -q "removing stale namespace" "$TB_TMP/after-kill.log" ||
	echo "# note: the stale namespaces were removed by another run"
assert_clean "$killed_state" "a SIGKILLed run, after the next run"
assert_clean "$state" "the run after a SIGKILLed run"
