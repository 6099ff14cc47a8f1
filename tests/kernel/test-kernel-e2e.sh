#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 5, section 1: one full two-peer ICE run through the test bed with
# wireguard-backend=kernel, in a QEMU guest with Debian's kernel (the
# host's has no WireGuard module).  The guest builds the test bed (two
# cone NATs), starts coturn, mosquitto and a private NetworkManager per
# host, brings up a cunicu profile on each with nmcli, and checks:
#   - pings cross the tunnel both ways within the usual 10 s ICE budget;
#   - the tunnel is kernel WireGuard: `ip -d link` says wireguard (and no
#     TUN device exists), `wg show` (generic netlink, no UAPI socket) has
#     our keys, a handshake and traffic, the service logged the kernel
#     backend, and no wireguard-go runs anywhere in the guest;
#   - the data path is the one asked for: proxy-mode=userspace (this test)
#     has WireGuard's endpoint on our loopback proxy and no nft table, and
#     a burst of pings comes back whole through the proxies' segmented sends;
#     proxy-mode=nftables (test-kernel-e2e-nftables.sh) has it on the
#     remote candidate, the connection's nft table in place, and pings
#     move the rules' packet counters, not the proxy's byte counters;
#   - `nmcli connection down` removes the link (and the table).
#
#   NCU_E2E_PROXY_MODE   userspace (default) or nftables
#   NCU_E2E_XTRACE=1     a timed `set -x` trace, the test bed's logs and a
#                        process list in the guest's share (keep it with
#                        NCU_QEMU_KEEP=DIR, see qemu-run.sh)
# A process start costs the guest 0.3-3 s under TCG on a busy host: the
# script forks little (nsenter rather than `ip netns exec`, bash builtins
# for parsing) and prints the time of every step.

set -euo pipefail
# Twenty-odd daemons and two NetworkManagers under TCG: give the guest more
# than qemu-run's default when the host is busy.
export NCU_QEMU_TIMEOUT=${NCU_QEMU_TIMEOUT:-420}
# shellcheck source=lib-qemu.sh
. "$(dirname "$0")/lib-qemu.sh"
# shellcheck source=../e2e/lib-e2e.sh
source "$(dirname "$0")/../e2e/lib-e2e.sh"

MODE=${NCU_E2E_PROXY_MODE:-userspace}
# The service logs its notices (which backend it got) with --debug only.
export TB_SERVICE_DEBUG=1
if [[ -n ${NCU_E2E_XTRACE:-} ]]; then
	exec {xtrace}>"$NCU_QEMU_SHARE/xtrace"
	BASH_XTRACEFD=$xtrace
	PS4='+ $EPOCHREALTIME '
	read -r uptime _ </proc/uptime   # maps the service's monotonic log times
	echo "realtime $EPOCHREALTIME uptime $uptime" >"$NCU_QEMU_SHARE/clocks"
	set -x
fi
tb_init
e2e_require_built
# shellcheck disable=SC2016  # expanded at cleanup
[[ -n ${NCU_E2E_XTRACE:-} ]] && tb_at_cleanup 'cp -r "$TB_TMP/." "$NCU_QEMU_SHARE/testbed/";
	ps -eo pid,time,etime,args --sort=-time >"$NCU_QEMU_SHARE/ps"; head -n1 /proc/stat >>"$NCU_QEMU_SHARE/ps"'
case $MODE in
userspace | nftables) ;;
*) tb_fail "NCU_E2E_PROXY_MODE=$MODE: expected userspace or nftables" ;;
esac
[[ -e /sys/module/wireguard ]] || tb_fail "the guest has no wireguard module loaded"

declare -A NS=()       # host -> its network namespace
declare -A IFNAME=()   # host -> its tunnel's interface
declare -A ENDPOINT=() # host -> WireGuard's endpoint for the peer
declare -A STATUS=()   # host -> nm-cunicu-status --json
UP_RETRIES=0

# timed LABEL START-US: record the time since START-US as step LABEL.
timed() {
	TB_TIMINGS+=("$1 $(tb_fmt_us $(($(tb_now_us) - $2)))")
}

# in_ns HOST COMMAND...: COMMAND in HOST's network namespace; lighter than
# `ip netns exec`, which also mounts a sysfs for each command.
in_ns() {
	local host=$1
	shift
	nsenter --net="/run/netns/${NS[$host]}" -- "$@"
}

# up HOST: nmcli connection up; up to three tries when NetworkManager's
# fixed 5 s for the service to claim its bus name ran out (under TCG the
# service's start took 3.3-4.2 s even when idle, and more than 5 s in about
# one run in three on a host with load 10-15).
up() {
	local host=$1 out try
	for try in 1 2 3; do
		out=$(tb_nmcli "$host" --wait 60 connection up cunicu 2>&1) && return 0
		[[ $out == *"did not start in time"* ]] || break
		tb_log "$host: the service missed NetworkManager's 5 s to start (try $try)"
		UP_RETRIES=$((UP_RETRIES + 1))
	done
	tb_fail "$host: nmcli connection up cunicu failed: $out"
}

# json_field JSON KEY: the first string value of KEY in nm-cunicu-status's
# JSON (one peer per connection here; no python3: it took 22 s to start).
json_field() {
	[[ $1 =~ \"$2\":\"([^\"]*)\" ]] && echo "${BASH_REMATCH[1]}"
}

# fetch_status HOST: nm-cunicu-status --json into STATUS[HOST]; up to three
# tries: on the fast path the service's GetStatus runs `nft` before it
# answers, which took 3-4 s in the busy guest, near the tool's 5 s timeout.
STATUS_RETRIES=0
fetch_status() {
	local try out
	for try in 1 2 3; do
		if out=$(e2e_status "$1" --json 2>&1); then
			STATUS[$1]=$out
			return 0
		fi
		tb_log "$1: nm-cunicu-status failed (try $try): $out"
		STATUS_RETRIES=$((STATUS_RETRIES + 1))
	done
	tb_fail "$1: nm-cunicu-status failed three times"
}

# json_number JSON KEY: the first number value of KEY (0 when absent).
json_number() {
	if [[ $1 =~ \"$2\":([0-9]+) ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo 0
	fi
}

# proxy_is HOST MODE: HOST's peer is on data path MODE (status "proxy").
proxy_is() {
	fetch_status "$1"
	[[ $(json_field "${STATUS[$1]}" proxy) == "$2" ]]
}

# wireguard_go_pids: PIDs of every wireguard-go in the guest (none expected).
wireguard_go_pids() {
	local f comm
	for f in /proc/[0-9]*/comm; do
		read -r comm <"$f" 2>/dev/null || continue
		[[ $comm == wireguard-go ]] && echo "${f//[^0-9]/}"
	done
	return 0
}

# check_kernel_link HOST PEER: HOST has exactly one link of type wireguard
# and no TUN device; `wg show` has HOST's public key, PEER with a handshake
# and traffic both ways.  Sets IFNAME[HOST] and ENDPOINT[HOST].
check_kernel_link() {
	local host=$1 peer=$2 links line ifname="" n=0 dump first=1 pub="" f
	links=$(ip -n "${NS[$host]}" -d -o link show) || tb_fail "$host: ip -d link show failed"
	while IFS= read -r line; do
		[[ $line == *" tun "* ]] && tb_fail "$host has a TUN device (userspace WireGuard?): $line"
		[[ $line =~ ^[0-9]+:\ ([^:@]+)[:@].*\ wireguard\  ]] || continue
		ifname=${BASH_REMATCH[1]}
		n=$((n + 1))
	done <<<"$links"
	((n == 1)) || tb_fail "$host: expected one wireguard link in 'ip -d link', found $n"
	IFNAME[$host]=$ifname
	# The first line has the private key: only its public key is looked at.
	dump=$(in_ns "$host" wg show "$ifname" dump) || tb_fail "$host: wg show $ifname failed"
	while IFS=$'\t' read -r -a f; do
		if ((first)); then
			first=0
			pub=${f[1]}
			continue
		fi
		[[ ${f[0]} == "${E2E_PUB[$peer]}" ]] || continue
		# public-key psk endpoint allowed-ips handshake rx tx keepalive
		((f[4] > 0 && f[5] > 0 && f[6] > 0)) ||
			tb_fail "$host: wg show $ifname: $peer has handshake ${f[4]}, rx ${f[5]}, tx ${f[6]}"
		ENDPOINT[$host]=${f[2]}
	done <<<"$dump"
	[[ $pub == "${E2E_PUB[$host]}" ]] || tb_fail "$host: wg show $ifname has another public key"
	[[ -n ${ENDPOINT[$host]:-} ]] || tb_fail "$host: wg show $ifname has no peer $peer"
}

# check_status HOST: nm-cunicu-status agrees: our interface, a direct ICE
# path, the data path MODE; the service logged the kernel backend.
check_status() {
	local host=$1 json=${STATUS[$1]} path
	[[ $(json_field "$json" interface) == "${IFNAME[$host]}" ]] ||
		tb_fail "$host: nm-cunicu-status names another interface than ${IFNAME[$host]}: $json"
	path=$(json_field "$json" path)
	[[ $path == srflx || $path == host || $path == prflx ]] ||
		tb_fail "$host: the peer is reached over '$path', expected a direct path behind cone NATs"
	[[ $(json_field "$json" proxy) == "$MODE" ]] ||
		tb_fail "$host: the peer's data path is not $MODE: $json"
	grep -q "interface ${IFNAME[$host]} up (kernel WireGuard)" "${TB_NM_DIR[$host]}/service.log" ||
		tb_fail "$host's service did not log a kernel WireGuard interface ${IFNAME[$host]}"
}

# check_data_path HOST: WireGuard's endpoint (and HOST's nft table) match
# MODE.  (An nft run took 3-4 s in the busy guest: only where it matters.)
check_data_path() {
	local host=$1 table tables
	if [[ $MODE == userspace ]]; then
		[[ ${ENDPOINT[$host]} == 127.0.0.1:* ]] ||
			tb_fail "$host: WireGuard's endpoint ${ENDPOINT[$host]} is not our loopback proxy"
		return 0
	fi
	[[ ${ENDPOINT[$host]} == 203.0.113.*:* ]] ||
		tb_fail "$host: WireGuard's endpoint ${ENDPOINT[$host]} is not the remote candidate"
	table=cunicu_${IFNAME[$host]//[^A-Za-z0-9_]/_}
	tables=$(in_ns "$host" nft list tables) || tb_fail "$host: nft list tables failed"
	[[ $tables == *"inet $table"* ]] || tb_fail "$host: no nft table inet $table: $tables"
}

# check_bypass HOST PEER: five pings from HOST to PEER pass through HOST's
# nft rules (their packet counters grow by five or more each way) and not
# through its proxy (its byte counters stay still).
check_bypass() {
	local host=$1 peer=$2 before after key
	fetch_status "$host"
	before=${STATUS[$host]}
	in_ns "$host" ping -c 5 -i 0.2 -W 2 -n "${E2E_TUN[$peer]}" >/dev/null ||
		tb_fail "$host: no ping reply from $peer on the fast path"
	fetch_status "$host"
	after=${STATUS[$host]}
	for key in nft-egress-packets nft-ingress-packets; do
		(($(json_number "$after" $key) >= $(json_number "$before" $key) + 5)) ||
			tb_fail "$host: $key went from $(json_number "$before" $key) to $(json_number "$after" $key) over 5 pings"
	done
	for key in proxy-to-peer-bytes proxy-from-peer-bytes; do
		(($(json_number "$after" $key) == $(json_number "$before" $key))) ||
			tb_fail "$host: $key went from $(json_number "$before" $key) to $(json_number "$after" $key): pings passed the proxy"
	done
}

# check_burst HOST PEER: 40 full-sized pings sent at once from HOST all come
# back through the proxies. They leave the proxies as runs sent at once
# (src/ncu-udp.c: one segmented send, which the kernel cuts apart at the
# receiving socket), so kernel WireGuard's socket must get them one by one.
check_burst() {
	local host=$1 peer=$2 out sum_before=0 sum_after=0 h
	for h in "$host" "$peer"; do
		fetch_status "$h"
		sum_before=$((sum_before + $(json_number "${STATUS[$h]}" proxy-segmented-sends)))
	done
	out=$(in_ns "$host" ping -c 40 -l 40 -s 1300 -W 5 -q -n "${E2E_TUN[$peer]}") ||
		tb_fail "$host: a burst of 40 pings to $peer did not all come back: $out"
	for h in "$host" "$peer"; do
		fetch_status "$h"
		sum_after=$((sum_after + $(json_number "${STATUS[$h]}" proxy-segmented-sends)))
	done
	((sum_after > sum_before)) ||
		tb_fail "no proxy sent a run of the burst at once (proxy-segmented-sends $sum_before -> $sum_after)"
	tb_log "burst: 40 of 40 back, $((sum_after - sum_before)) segmented sends"
}

# link_gone HOST: HOST's tunnel link does not exist (any more).
link_gone() {
	! ip -n "${NS[$1]}" link show dev "${IFNAME[$1]}" >/dev/null 2>&1
}

# down HOST: nmcli connection down; the link goes (and the nft table).
down() {
	local host=$1
	tb_nmcli "$host" connection down cunicu >/dev/null || tb_fail "$host: nmcli connection down failed"
	tb_wait_until 10 "$host's ${IFNAME[$host]} to disappear after connection down" link_gone "$host"
	[[ $MODE == userspace || $(in_ns "$host" nft list tables) != *cunicu_* ]] ||
		tb_fail "$host: an nft table of ours is left after connection down"
}

tb_topology --nat-a cone --nat-b cone
tb_start_coturn
tb_start_mosquitto
tb_start_nm hostA
tb_start_nm hostB
for host in hostA hostB; do
	NS[$host]=$(tb_ns "$host")
done
e2e_keys hostA hostB
t0=$(tb_now_us)
e2e_add hostA cunicu \
	"$(e2e_profile_data hostA hostB -- wireguard-backend=kernel "proxy-mode=$MODE")" \
	"$(e2e_profile_secrets hostA 1)"
e2e_add hostB cunicu \
	"$(e2e_profile_data hostB hostA -- wireguard-backend=kernel "proxy-mode=$MODE")" \
	"$(e2e_profile_secrets hostB 1)"
timed "profiles" "$t0"
tb_log "profiles with wireguard-backend=kernel proxy-mode=$MODE"

# Under TCG a cold start of the service (54 libraries read over 9p) took
# 3.3 s, a warm one 0.65 s; NetworkManager gives it 5 s to claim its bus
# name.  Read both programs once now, and bring the two up one by one.
t0=$(tb_now_us)
"$top_builddir/src/nm-cunicu-service" --help >/dev/null || tb_fail "nm-cunicu-service --help failed"
"$(e2e_status_program)" --help >/dev/null || tb_fail "nm-cunicu-status --help failed"
timed "warm-up" "$t0"

t0=$(tb_now_us)
up hostA
timed "nmcli up hostA" "$t0"
t0=$(tb_now_us)
up hostB
timed "nmcli up hostB" "$t0"
took=$(e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10)
TB_TIMINGS+=("first ping after both up $took")
e2e_wait_ping hostB "${E2E_TUN[hostA]}" 5 >/dev/null
tb_log "first ping A->B $took s after both were up; B->A passes too"

t0=$(tb_now_us)
tb_wait_until 20 "hostA's peer on the $MODE data path" proxy_is hostA "$MODE"
tb_wait_until 20 "hostB's peer on the $MODE data path" proxy_is hostB "$MODE"
[[ $MODE == userspace ]] || check_bypass hostA hostB
[[ $MODE != userspace ]] || check_burst hostA hostB
timed "status: $MODE path" "$t0"

t0=$(tb_now_us)
check_kernel_link hostA hostB
check_kernel_link hostB hostA
check_status hostA
check_status hostB
check_data_path hostA
check_data_path hostB
pids=$(wireguard_go_pids)
[[ -z $pids ]] || tb_fail "wireguard-go runs in the guest (PIDs $pids)"
timed "checks" "$t0"
tb_log "hostA: ${IFNAME[hostA]} -> ${ENDPOINT[hostA]}, hostB: ${IFNAME[hostB]} -> ${ENDPOINT[hostB]}:" \
	"kernel WireGuard, $(json_field "${STATUS[hostA]}" path) path, $MODE data path"
in_ns hostA wg show "${IFNAME[hostA]}"

t0=$(tb_now_us)
down hostA
timed "nmcli down until link gone" "$t0"
down hostB

tb_timings
echo "nmcli up retried: $UP_RETRIES, nm-cunicu-status retried: $STATUS_RETRIES"
echo "PASS: two peers over kernel WireGuard behind cone NATs, proxy-mode=$MODE"
