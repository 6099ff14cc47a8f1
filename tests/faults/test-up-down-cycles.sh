#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: 100 cycles of `nmcli connection up`/`down` on hostA while
# hostB stays up. Afterwards hostA's NetworkManager and hostB's service have
# as many file descriptors as before (warm-up cycles excluded), their RSS
# grew by less than 10 %, hostA has as many interfaces and processes as
# before, coturn holds as many TURN allocations as before (every service
# that exits releases its own), and the tunnel still comes up and passes
# pings within 10 s. FL_CYCLES (default 100) changes the count.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

cycles=${FL_CYCLES:-100}
warmup=5

# snapshot: "nm-fds nm-rss svc-fds svc-rss links procs allocations" in the
# down state
snapshot() {
	tb_wait_until 5 "hostA's service to exit" bash -c "[[ -z \$(pgrep --ns ${TB_NM_PID[hostA]} --nslist pid -f 'nm-cunicu-service|wireguard-go') ]]"
	# hostB answers the bye with a fresh ICE session and releases the old
	# one's TURN allocation in the background: wait until it is done
	fl_poll 15 fds_settled || true
	echo "$(fl_fds "$nm_a") $(fl_rss_kb "$nm_a") $(fl_fds "$svc_b") $(fl_rss_kb "$svc_b")" \
		"$(tb_exec hostA ip -o link | wc -l) $(ip netns pids "$(tb_ns hostA)" | wc -l)" \
		"$(fl_turn_allocations)"
}

# allocations_back: coturn holds no more allocations than before the cycles
allocations_back() {
	(($(fl_turn_allocations) <= allocs0))
}

# fd_list: hostB's service's descriptors, what each points to
fd_list() {
	ls -l "/proc/$svc_b/fd" | awk 'NR > 1 { print $(NF - 2), $NF }' | tr '\n' ' '
}

# fds_settled: hostB's service had the same descriptors for 2 s
fds_settled() {
	local before
	before=$(fd_list)
	sleep 1
	[[ $before == "$(fd_list)" ]] || return 1
	sleep 1
	[[ $before == "$(fd_list)" ]]
}

cycle() {
	tb_nmcli hostA --wait 30 connection up cunicu >/dev/null 2>&1 || tb_fail "cycle $1: nmcli connection up failed"
	tb_nmcli hostA --wait 30 connection down cunicu >/dev/null 2>&1 || tb_fail "cycle $1: nmcli connection down failed"
}

tb_init
e2e_require_built
fl_two_peers --nat-a cone --nat-b cone
nm_a=$(pgrep --ns "${TB_NM_PID[hostA]}" --nslist pid -x NetworkManager) || tb_fail "no NetworkManager on hostA"
svc_b=$(fl_service_pid hostB)
tb_nmcli hostA connection down cunicu >/dev/null
for ((i = 1; i <= warmup; i++)); do cycle "warm-up $i"; done
read -r nm_fds0 nm_rss0 svc_fds0 svc_rss0 links0 procs0 allocs0 < <(snapshot)

t0=$(tb_now_us)
for ((i = 1; i <= cycles; i++)); do
	cycle "$i"
	((i % 25 == 0)) && tb_log "$i cycles"
done
elapsed=$(($(tb_now_us) - t0))
read -r nm_fds nm_rss svc_fds svc_rss links procs allocs < <(snapshot)
# released allocations leave coturn at its next 1 s tick
if ((allocs > allocs0)); then
	fl_poll 5 allocations_back || true
	allocs=$(fl_turn_allocations)
fi

echo "RESULT $cycles up/down cycles: $(tb_fmt_us "$elapsed") s, $(tb_fmt_us $((elapsed / cycles))) s a cycle"
printf '%-28s %8s %8s\n' "" before after
printf '%-28s %8s %8s\n' "hostA NetworkManager fds" "$nm_fds0" "$nm_fds" "hostA NetworkManager RSS KiB" "$nm_rss0" "$nm_rss" \
	"hostB service fds" "$svc_fds0" "$svc_fds" "hostB service RSS KiB" "$svc_rss0" "$svc_rss" \
	"hostA interfaces" "$links0" "$links" "hostA processes" "$procs0" "$procs" \
	"coturn allocations" "$allocs0" "$allocs"
((nm_fds == nm_fds0)) || tb_fail "hostA's NetworkManager has $nm_fds fds, $nm_fds0 before"
if ((svc_fds != svc_fds0)); then
	ls -l "/proc/$svc_b/fd" >&2
	tb_fail "hostB's service has $svc_fds fds, $svc_fds0 before (now: above)"
fi
((nm_rss * 10 <= nm_rss0 * 11)) || tb_fail "hostA's NetworkManager RSS grew from $nm_rss0 to $nm_rss KiB"
if fl_rss_bounded; then
	((svc_rss * 10 <= svc_rss0 * 11)) || tb_fail "hostB's service RSS grew from $svc_rss0 to $svc_rss KiB"
fi
((links == links0)) || tb_fail "hostA has $links interfaces, $links0 before"
((procs == procs0)) || tb_fail "hostA has $procs processes, $procs0 before"
((allocs <= allocs0)) || tb_fail "coturn holds $allocs TURN allocations, $allocs0 before (services exited without releasing theirs)"
fl_same_service hostB "$svc_b"

e2e_up hostA
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
echo "RESULT after $cycles cycles: pings pass $took s after nmcli up returned"
fl_no_crash
echo "PASS: $cycles up/down cycles leave descriptors, memory, interfaces, processes and TURN allocations flat"
