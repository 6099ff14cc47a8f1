# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # FL_SENT, FL_LOST are for the tests
#
# tests/faults/lib-faults.sh: helpers for the fault tests (tests/faults/)
# and the attack tests (tests/security/), on top of the end-to-end helpers
# (tests/e2e/lib-e2e.sh) and the test bed. Functions start with fl_.
#
# Every fault test prints one line per measurement:
#   RESULT <what>: <seconds> s
# (issue 7's table is made of them).

source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib-e2e.sh"

declare -gA FL_PING_PID=()      # monitor name -> PID of its ping
declare -gA FL_SVC=()           # host -> PID of its service (fl_two_peers)

# Debian's python3 directly: a pyenv shim first in PATH costs ~0.5 s a call.
FL_PYTHON=python3
[[ -x /usr/bin/python3 ]] && FL_PYTHON=/usr/bin/python3

# fl_two_peers [TOPOLOGY-OPTION...]: the usual pair: e2e_bed for hostA and
# hostB, profile "cunicu" on each (pre-shared key, TURN; keys made unless
# the test made them), both up at once; returns once A pings B, with their
# services' PIDs in FL_SVC (fl_same_service, fl_finish).
fl_two_peers() {
	e2e_bed hostA hostB -- "$@"
	[[ -n ${E2E_PUB[hostA]:-} && -n ${E2E_PUB[hostB]:-} ]] || e2e_keys hostA hostB
	e2e_mesh_profile hostA hostB
	e2e_mesh_profile hostB hostA
	e2e_up_both
	e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
	FL_SVC[hostA]=$(fl_service_pid hostA) || tb_fail "hostA runs no service"
	FL_SVC[hostB]=$(fl_service_pid hostB) || tb_fail "hostB runs no service"
}

# fl_service_pid HOST: host PID of the nm-cunicu-service running in HOST's
# NetworkManager (empty, status 1, if none).
fl_service_pid() {
	local pid
	pid=$(pgrep --ns "${TB_NM_PID[$1]}" --nslist pid -f 'nm-cunicu-service' | head -n 1)
	[[ -n $pid ]] && echo "$pid"
}

# fl_pid_of HOST PATTERN: host PIDs of HOST's processes whose command line matches.
fl_pids_of() {
	pgrep --ns "${TB_NM_PID[$1]}" --nslist pid -f "$2" || true
}

# fl_service_proc_files HOST...: /proc/PID/environ and /proc/PID/cmdline of
# the services and wireguard-go processes in each HOST's NetworkManager,
# one a line (for tests/security/scan-secrets.py).
fl_service_proc_files() {
	local h pid
	for h in "$@"; do
		for pid in $(fl_pids_of "$h" 'nm-cunicu-service|wireguard-go'); do
			printf '/proc/%s/environ\n/proc/%s/cmdline\n' "$pid" "$pid"
		done
	done
}

# fl_same_service HOST [PID]: fail unless HOST's service is still process
# PID (default: the one fl_two_peers found).
fl_same_service() {
	local was=${2:-${FL_SVC[$1]}} now
	now=$(fl_service_pid "$1") || tb_fail "$1: the service is gone (it was PID $was)"
	[[ $now == "$was" ]] || tb_fail "$1: the service was replaced (PID $was -> $now)"
}

# fl_finish HOST...: the end of a fault test: each HOST still runs the
# service fl_two_peers found (fl_same_service), no service crashed or
# complained (fl_no_crash), and hostA's status goes to the log.
fl_finish() {
	local h
	for h in "$@"; do
		fl_same_service "$h"
	done
	fl_no_crash
	e2e_status hostA
}

# fl_up_again HOST PEER: after a fault took HOST's connection down,
# `nmcli connection up cunicu` there again; returns once HOST pings PEER
# (10 s at most) and PEER pings back. Sets FL_UP_TOOK (seconds nmcli up
# took), FL_PING_TOOK (seconds from its return to the first ping) and
# FL_PINGED_US (tb_now_us of that ping).
fl_up_again() {
	local host=$1 peer=$2 t0
	t0=$(tb_now_us)
	e2e_up "$host"
	FL_UP_TOOK=$(tb_fmt_us $(($(tb_now_us) - t0)))
	FL_PING_TOOK=$(e2e_wait_ping "$host" "${E2E_TUN[$peer]}" 10)
	FL_PINGED_US=$(tb_now_us)
	e2e_ping_ok "$peer" "${E2E_TUN[$host]}" || tb_fail "no ping ${peer#host}->${host#host}"
}

# fl_status_field HOST PATH...: fields of HOST's status JSON, one a line;
# PATH like "signaling.connected" or "peers.hostB.restarts" (peers by label).
fl_status_field() {
	local host=$1
	shift
	e2e_status "$host" --json | "$FL_PYTHON" -c '
import json, sys
status = next(iter(json.load(sys.stdin).values()), {})
for path in sys.argv[1:]:
    node = status
    for part in path.split("."):
        if isinstance(node, list):
            node = next((p for p in node if p.get("label") == part), {})
        else:
            node = node.get(part, "")
    print(str(node).lower() if isinstance(node, bool) else node)' "$@"
}

# fl_signaling_connected HOST: true if HOST's service is connected to the broker.
fl_signaling_connected() {
	[[ $(fl_status_field "$1" signaling.connected) == true ]]
}

# fl_ice_steady HOST PEER: fail unless HOST's ICE session with PEER is
# connected and was never restarted.
fl_ice_steady() {
	local restarts state
	{ read -r restarts && read -r state; } < <(fl_status_field "$1" "peers.$2.restarts" "peers.$2.ice-state")
	[[ $restarts == 0 ]] || tb_fail "$1 restarted ICE $restarts time(s)"
	[[ $state == connected ]] || tb_fail "$1's ICE is $state"
}

# fl_ping_start HOST ADDRESS NAME: ping ADDRESS from HOST every 0.5 s in the
# background (log $TB_TMP/NAME.log) until fl_ping_stop NAME.
fl_ping_start() {
	tb_spawn "$1" "$3" ping -n -D -O -i 0.5 -W 1 "$2"
	FL_PING_PID[$3]=$TB_LAST_PID
}

# fl_ping_stop NAME: stop the monitor; sets FL_SENT and FL_LOST (requests
# sent, and those never answered; the last two, maybe still in flight, are
# not counted).
fl_ping_stop() {
	local name=$1 pid=${FL_PING_PID[$1]} counts
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "FL_PING_PID[$name]"
	counts=$("$FL_PYTHON" -c '
import re, sys
sent, answered = set(), set()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"icmp_seq=(\d+)", line)
    if not m:
        continue
    seq = int(m.group(1))
    sent.add(seq)
    if "bytes from" in line:
        answered.add(seq)
counted = sorted(sent)[:-2] if len(sent) > 2 else []
print(len(counted), len([s for s in counted if s not in answered]))' "$TB_TMP/$name.log") ||
		tb_fail "cannot read $name.log"
	read -r FL_SENT FL_LOST <<<"$counts"
}

# fl_recover NAME HOST ADDRESS [SECONDS]: wait (default 10 s) for a ping
# from HOST to ADDRESS to pass; prints "RESULT NAME: <seconds> s".
fl_recover() {
	local name=$1 took
	took=$(e2e_wait_ping "$2" "$3" "${4:-10}")
	echo "RESULT $name: $took s"
}

# fl_recover_since NAME HOST ADDRESS T0 LIMIT: like fl_recover, timed from
# T0 (tb_now_us of the fault) and failing after LIMIT seconds from T0; the
# result line says whether issue 7's 10 s were met.
#
# Faults only the data path can see (a relay or a NAT mapping that silently
# died) are found by the peers' liveness watchdog (src/ncu-liveness.h):
# WireGuard unanswered for 1 s, a probe unanswered for 1 s, then a fresh
# ICE session through the broker (and coturn): about 2.5-3.5 s from the fault
# here. libnice's consent (lost 10 s after the last answered check, checks
# every 4-6 s) is only the fallback.
fl_recover_since() {
	local name=$1 host=$2 addr=$3 t0=$4 limit=$5 left took verdict=met
	left=$((limit * 1000000 - ($(tb_now_us) - t0)))
	((left > 0)) || left=1000000
	e2e_wait_ping "$host" "$addr" $(((left + 999999) / 1000000)) >/dev/null
	took=$(($(tb_now_us) - t0))
	((took <= 10000000)) || verdict=MISSED
	echo "RESULT $name: $(tb_fmt_us "$took") s (issue 7's 10 s: $verdict)"
}

# fl_rss_kb PID, fl_fds PID: resident set size (KiB) and open descriptors.
fl_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# fl_rss_bounded: true when resident memory says something about leaks in
# this build; false (with a note) in a --enable-sanitizers build, where
# AddressSanitizer keeps freed memory in quarantine (up to 256 MiB) and
# LeakSanitizer checks the services at exit instead.
fl_rss_bounded() {
	grep -q -- '-fsanitize=address' "$top_builddir/Makefile" 2>/dev/null || return 0
	echo "# sanitizer build: RSS not asserted (ASan's quarantine holds freed memory; LeakSanitizer checks at exit)"
	return 1
}
fl_fds() {
	ls "/proc/$1/fd" | wc -l
}

# fl_no_crash: fail if a service crashed or GLib/sanitizers complained in
# any service log of the run (a warning is fine: bad input is logged; so is
# wireguard-go's "ERROR: (<if>) ... - Failed to send ..." while the
# underlay has no route, which shares the log).
fl_no_crash() {
	local f
	for f in "$TB_TMP"/nm-*/service.log; do
		[[ -e $f ]] || continue
		if grep -nE 'CRITICAL|ERROR|AddressSanitizer|runtime error|LeakSanitizer|Segmentation|Aborted' "$f" |
			grep -vE '^[0-9]+:ERROR: \([^)]*\) .* - Failed to send ' >&2; then
			tb_fail "${f#"$TB_TMP"/}: the service complained (above)"
		fi
	done
	for f in "$TB_TMP"/nm-*/NetworkManager.log; do
		[[ -e $f ]] || continue
		if grep -nE 'nm-cunicu-service.*(died|crashed|signal [0-9])|vpn.*exited with (error|signal)' "$f" >&2; then
			tb_fail "${f#"$TB_TMP"/}: a VPN service died (above)"
		fi
	done
}

# fl_turn_allocations: coturn's TURN allocations: its relay sockets on
# TB_WAN_IP1, in its relay port range (49152-65535; it also listens on
# the port after TB_TURN_PORT). coturn frees a released allocation at its
# next 1 s tick; one its client never released stays for its lifetime
# (600 s).
fl_turn_allocations() {
	tb_exec wan ss -Huan src "$TB_WAN_IP1" | awk '{ n = split($4, a, ":") } a[n] >= 49152' | wc -l
}

# fl_b64url KEY: a key as it appears in signaling topics.
fl_b64url() {
	tr '+/' '-_' <<<"$1" | tr -d '='
}

# fl_retained_from KEY: topics of the retained messages KEY has on the broker.
fl_retained_from() {
	tb_exec wan timeout 3 mosquitto_sub -h "$TB_WAN_IP1" -p "$TB_MQTT_PORT" -t 'cunicu/#' \
		--retained-only -W 2 -F %t 2>/dev/null | grep -a "/$(fl_b64url "$1")\$" || true
}

# fl_has_retained KEY: true if KEY has a retained message on the broker.
fl_has_retained() {
	[[ -n $(fl_retained_from "$1") ]]
}

# fl_wait_retained HOST...: wait (10 s) until each HOST's offer is retained
# on the broker again.
fl_wait_retained() {
	local h
	for h in "$@"; do
		tb_wait_until 10 "$h's offer to be retained again" fl_has_retained "${E2E_PUB[$h]}"
	done
}

# fl_poll SECONDS COMMAND...: like tb_wait_until, but returns 1 on timeout
# instead of failing (the caller says what was left).
fl_poll() {
	local deadline=$(($(tb_now_us) + $1 * 1000000))
	shift
	until "$@" >/dev/null 2>&1; do
		(($(tb_now_us) < deadline)) || return 1
		sleep 0.1
	done
}
