#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue 7, faults: TURN credentials that expire are renewed before they do.
# coturn takes time-limited credentials (use-auth-secret, the TURN REST
# API); both profiles hold its shared secret (ice-auth-secret) with a
# lifetime of 20 s. hostA sits behind a symmetric NAT and may use relay
# candidates only, so its tunnel always runs through its own allocation.
#
# 1. Pings pass for more than three lifetimes: hostA renews its session
#    with fresh credentials every 15 s (status turn-renewals), coturn
#    allocates for each new user name and never refuses one of them.
# 2. The first user name, long expired, is refused by coturn now.
# 3. coturn restarts after those expiries: the tunnel comes back, which
#    takes an allocation with credentials valid now.
# 4. Negative control: the same with a fixed REST credential (made once,
#    valid for 10 s, as ice-username/ice-password; what a user without
#    ice-auth-secret would configure). coturn keeps the allocation it made
#    while the user name was valid (it checks the time only when it first
#    authenticates a client), but after a restart it refuses the expired
#    user name and the tunnel stays down.
# 5. Neither the shared secret nor any password made from it appears in a
#    log, a file of the run, or a process's argv or environment.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-faults.sh"

lifetime=20

# ping_longest_gap NAME: the longest time, in seconds, between two answered
# pings in monitor NAME's log (or from its first request to its first
# answer).
ping_longest_gap() {
	"$FL_PYTHON" -c '
import re, sys
times = []
first = None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\[(\d+\.\d+)\]", line)
    if not m:
        continue
    first = first if first is not None else float(m.group(1))
    if "bytes from" in line:
        times.append(float(m.group(1)))
if not times:
    print("inf")
else:
    gaps = [b - a for a, b in zip([first] + times, times)]
    print("%.1f" % max(gaps))' "$TB_TMP/$1.log"
}

# coturn_users LOG: the user names coturn allocated for, one a line, in order.
coturn_users() {
	grep -oE 'user <[0-9]+(:[^>]*)?>: incoming packet ALLOCATE processed, success' "$1" |
		sed -E 's/^user <([^>]*)>.*/\1/' | awk '!seen[$0]++'
}

# coturn_refused LOG: lines where coturn refused a user name it was given.
coturn_refused() {
	grep -E 'user <[0-9][^>]*>: incoming packet .*error 401|Cannot find credentials of user <[0-9]' "$1" || true
}

tb_init
e2e_require_built
export TB_SERVICE_DEBUG=1
secret=$(head -c 24 /dev/urandom | base64 | tr '+/' 'xy')
tb_topology --nat-a symmetric --nat-b cone
tb_start_coturn --auth-secret "$secret"
tb_start_mosquitto
tb_start_nm hostA
tb_start_nm hostB
e2e_keys hostA hostB
e2e_add hostA cunicu "$(e2e_profile_data hostA hostB -- ice-candidate-types=relay ice-auth-lifetime=$lifetime)" \
	"$(e2e_profile_secrets hostA 1)"
e2e_add hostB cunicu "$(e2e_profile_data hostB hostA -- ice-auth-lifetime=$lifetime)" \
	"$(e2e_profile_secrets hostB 1)"
e2e_up_all hostA hostB
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
path=$(fl_status_field hostA peers.hostB.path)
[[ $path == relay ]] || tb_fail "hostA reaches hostB over $path, not its relay"
svc_a=$(fl_service_pid hostA)
svc_b=$(fl_service_pid hostB)
echo "PASS: hostA (symmetric NAT, relay only) pings hostB through its relay, credentials valid for $lifetime s"

# 1. more than three lifetimes
fl_ping_start hostA "${E2E_TUN[hostB]}" ping-ab
t_start=$(date +%s)
deadline=$((t_start + 3 * lifetime + 5))
while (($(date +%s) < deadline)); do
	sleep 1
done
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
fl_ping_stop ping-ab
gap=$(ping_longest_gap ping-ab)
{ read -r renewals && read -r restarts && read -r path; } < \
	<(fl_status_field hostA peers.hostB.turn-renewals peers.hostB.restarts peers.hostB.path)
echo "RESULT turn renewals: $renewals in $((deadline - t_start)) s; pings lost $FL_LOST of $FL_SENT, longest gap $gap s"
((renewals >= 3)) || tb_fail "hostA renewed its TURN credentials $renewals times in $((deadline - t_start)) s, expected 3 or more"
"$FL_PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$gap" "$lifetime" ||
	tb_fail "pings stopped for $gap s, a whole credential lifetime"
[[ $path == relay ]] || tb_fail "after the renewals hostA reaches hostB over $path, not its relay"
echo "PASS: pings kept passing over $renewals renewals (ICE restarts after failures: $restarts)"

cp "$TB_TMP/coturn.log" "$TB_TMP/coturn-renewals.log"
mapfile -t users < <(coturn_users "$TB_TMP/coturn-renewals.log")
((${#users[@]} >= 4)) || tb_fail "coturn allocated for ${#users[@]} user names (${users[*]}), expected 4 or more"
refused=$(coturn_refused "$TB_TMP/coturn-renewals.log")
[[ -z $refused ]] || tb_fail "coturn refused credentials the services made: $refused"
expiries=$(printf '%s\n' "${users[@]}" | cut -d: -f1 | sort -n | uniq | tr '\n' ' ')
echo "RESULT coturn user names: ${#users[@]} (expiry times $expiries)"
echo "PASS: coturn allocated for ${#users[@]} user names and refused none"

# 2. the first credentials, expired, are refused now
first=${users[0]}
(($(date +%s) > ${first%%:*})) || tb_fail "the first user name $first has not expired yet"
if err=$(tb_exec hostA "$(tb_stun_probe)" allocate "$TB_WAN_IP1:$TB_TURN_PORT" \
	"$(tb_turn_rest_credential "${first%%:*}" "${first#*:}")" 2>&1); then
	tb_fail "coturn still allocates for the expired user name $first: $err"
fi
[[ $err == *"credentials rejected"* ]] || tb_fail "expired user name $first: unexpected error '$err'"
echo "PASS: coturn refuses the first user name $first now ($err)"

# 3. coturn restarts: new allocations need valid credentials
fl_ping_start hostA "${E2E_TUN[hostB]}" ping-restart
t0=$(tb_now_us)
tb_stop_coturn
tb_start_coturn --auth-secret "$secret"
fl_recover_since "coturn restart after $renewals renewals: pings pass again" hostA "${E2E_TUN[hostB]}" "$t0" 15
fl_ping_stop ping-restart
echo "RESULT coturn restart after the renewals: pings lost $FL_LOST of $FL_SENT"
[[ $(fl_status_field hostA peers.hostB.path) == relay ]] || tb_fail "after the coturn restart hostA does not use its relay"
cp "$TB_TMP/coturn.log" "$TB_TMP/coturn-restart.log"
refused=$(coturn_refused "$TB_TMP/coturn-restart.log")
[[ -z $refused ]] || tb_fail "the restarted coturn refused credentials the services made: $refused"
echo "PASS: after the coturn restart hostA allocated with fresh credentials and pings again"
fl_same_service hostA "$svc_a"
fl_same_service hostB "$svc_b"

# 4. negative control: a fixed REST credential on hostA
static=$(tb_turn_rest_credential $(($(date +%s) + 10)) "$TB_TURN_USER")
static_user=${static%:*}
static_password=${static##*:}
e2e_add hostA fixed \
	"$(TB_TURN_AUTH_SECRET='' TB_TURN_USER=$static_user e2e_profile_data hostA hostB -- ice-candidate-types=relay)" \
	"$(TB_TURN_AUTH_SECRET='' TB_TURN_PASSWORD=$static_password e2e_profile_secrets hostA 1)"
# no_service HOST: true once HOST runs no service (the old one answers no
# status call while it exits).
no_service() {
	! fl_service_pid "$1" >/dev/null
}
tb_nmcli hostA connection down cunicu >/dev/null
tb_wait_until 10 "hostA's service to exit" no_service hostA
e2e_up hostA fixed
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 10 >/dev/null
{ read -r path && read -r renewals; } < <(fl_status_field hostA peers.hostB.path peers.hostB.turn-renewals)
[[ $path == relay ]] || tb_fail "control: hostA reaches hostB over $path, not its relay"
[[ -z $renewals ]] || tb_fail "control: with a fixed ice-password the status reports TURN renewals ($renewals)"
tb_wait_until 30 "the fixed user name $static_user to expire" bash -c "(( \$(date +%s) > ${static_user%%:*} + 2 ))"
e2e_wait_ping hostA "${E2E_TUN[hostB]}" 5 >/dev/null
echo "PASS: control: the allocation made with the fixed user name $static_user outlives its expiry"
tb_stop_coturn
tb_start_coturn --auth-secret "$secret"
if fl_poll 20 e2e_ping_ok hostA "${E2E_TUN[hostB]}"; then
	tb_fail "control: hostA pings again after the coturn restart with the expired $static_user"
fi
tb_wait_until 10 "coturn to refuse $static_user" \
	grep -q "Cannot find credentials of user <$static_user>" "$TB_TMP/coturn.log"
echo "PASS: control: after a coturn restart the expired $static_user is refused and the tunnel stays down ($(fl_status_field hostA peers.hostB.ice-state))"

# 5. no secret anywhere
secrets() {
	local user
	echo "auth-secret password $secret"
	echo "fixed-password password $static_password"
	for user in "${users[@]}" $(coturn_users "$TB_TMP/coturn-restart.log"); do
		echo "password-of-$user password $(tb_turn_rest_credential "${user%%:*}" "${user#*:}" | sed 's/.*://')"
	done
}
scan() {
	local what=$1 out
	shift
	if ! out=$(secrets | "$FL_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/../security/scan-secrets.py" \
		"${excludes[@]}" "$@" 2>&1); then
		echo "$out" >&2
		tb_fail "secrets found in $what (above)"
	fi
	echo "PASS: no TURN secret in $what (${out##*$'\n'})"
}
# What holds the secrets on purpose: each host's keyfiles (flags 0) and
# coturn's configuration file.
excludes=(--exclude "$TB_TMP/coturn-auth.conf")
for f in "${TB_NM_DIR[hostA]}"/etc/system-connections/* "${TB_NM_DIR[hostB]}"/etc/system-connections/*; do
	excludes+=(--exclude "$f")
done
# the scanner finds what is there: hostB's keyfile holds the shared secret
if found=$(secrets | "$FL_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/../security/scan-secrets.py" \
	"${TB_NM_DIR[hostB]}"/etc/system-connections/cunicu.nmconnection); then
	tb_fail "the scanner missed the shared secret in hostB's keyfile"
fi
grep -q "^FOUND auth-secret " <<<"$found" || tb_fail "the scanner missed the shared secret in hostB's keyfile: $found"
mapfile -t procs < <(fl_service_proc_files hostA hostB)
((${#procs[@]} >= 4)) || tb_fail "expected a service on each host, found ${#procs[@]} files"
scan "the services' and wireguard-go's environment" "${procs[@]}"
scan "the argv of every process" /proc/[0-9]*/cmdline
scan "the run's directory: every log (NetworkManager, services, coturn) and NetworkManager's state" "$TB_TMP"
fl_no_crash
echo "PASS: time-limited TURN credentials are renewed before they expire"
